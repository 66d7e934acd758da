/**
 * The one format of a caller key: `tv_`, 43 random base62 characters (over 256 bits), and a
 * 6-character base62 CRC32 of those 43. A key in this format was made by `tokenvend hash-key --new`,
 * so none in use is weak; the checksum lets a secret scanner tell a leaked key from look-alike
 * text, and lets the service refuse a garbled or invented key before looking it up.
 */
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** In this order: a digit's value is its index. */
export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const CALLER_KEY_PREFIX = 'tv_';
/** 62^43 > 2^256. */
export const CALLER_KEY_RANDOM_LENGTH = 43;
/** 62^6 > 2^32: the whole CRC32 fits. */
export const CALLER_KEY_CHECKSUM_LENGTH = 6;
/** 3 + 43 + 6. */
export const CALLER_KEY_LENGTH = CALLER_KEY_PREFIX.length + CALLER_KEY_RANDOM_LENGTH + CALLER_KEY_CHECKSUM_LENGTH;

/**
 * The shape a secret scanner looks for (the checksum is then what tells a real key). Documented in the README.
 */
export const CALLER_KEY_PATTERN = /\btv_[0-9A-Za-z]{49}\b/;
const WHOLE_KEY = /^tv_[0-9A-Za-z]{49}$/;

// A random byte is kept only below 248 = 4 × 62, so `byte % 62` is uniform (no modulo bias).
const UNBIASED_BYTE_LIMIT = 256 - (256 % BASE62_ALPHABET.length);

/**
 * The checksum part of a key: CRC32 (IEEE, as `zlib.crc32`) of the ASCII random part, as 6 base62
 * digits, most significant first, zero-padded.
 *
 * @example
 * callerKeyChecksum('0'.repeat(43)); // 6 base62 characters
 */
export function callerKeyChecksum(randomPart: string): string {
  let value = crc32(randomPart) >>> 0;
  let digits = '';
  for (let i = 0; i < CALLER_KEY_CHECKSUM_LENGTH; i += 1) {
    digits = BASE62_ALPHABET[value % 62] + digits;
    value = Math.floor(value / 62);
  }
  return digits;
}

/**
 * Makes a new caller key in the format, from the system's cryptographic random source.
 *
 * @example
 * const key = newCallerKey(); // 'tv_' + 43 random + 6 checksum characters, 52 in all
 */
export function newCallerKey(random: (size: number) => Uint8Array = randomBytes): string {
  let randomPart = '';
  while (randomPart.length < CALLER_KEY_RANDOM_LENGTH) {
    // 64 bytes yield 43 kept ones nearly always (each is kept with p = 248/256).
    for (const byte of random(64)) {
      if (byte >= UNBIASED_BYTE_LIMIT) continue;
      randomPart += BASE62_ALPHABET[byte % 62];
      if (randomPart.length === CALLER_KEY_RANDOM_LENGTH) break;
    }
  }
  return `${CALLER_KEY_PREFIX}${randomPart}${callerKeyChecksum(randomPart)}`;
}

/**
 * True when `key` has the format and its checksum matches: costs a regular expression and a CRC32,
 * no lookup, so the service refuses garbage before it touches the caller registry.
 *
 * @example
 * isWellFormedCallerKey(newCallerKey()); // true
 * isWellFormedCallerKey('tv_secret');    // false
 */
export function isWellFormedCallerKey(key: string): boolean {
  if (key.length !== CALLER_KEY_LENGTH || !WHOLE_KEY.test(key)) return false;
  const end = CALLER_KEY_PREFIX.length + CALLER_KEY_RANDOM_LENGTH;
  return callerKeyChecksum(key.slice(CALLER_KEY_PREFIX.length, end)) === key.slice(end);
}

/**
 * Why `key` is not a caller key, in words that never quote it; `undefined` when it is one.
 *
 * @example
 * callerKeyProblem('tv_secret'); // 'it is not "tv_" followed by 49 characters from 0-9 A-Z a-z (52 in all)'
 */
export function callerKeyProblem(key: string): string | undefined {
  if (!WHOLE_KEY.test(key)) return 'it is not "tv_" followed by 49 characters from 0-9 A-Z a-z (52 in all)';
  if (!isWellFormedCallerKey(key)) return 'its checksum (the last 6 characters) does not match: a character was changed, added or lost';
  return undefined;
}
