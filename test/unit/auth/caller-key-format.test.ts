import {
  BASE62_ALPHABET,
  CALLER_KEY_PATTERN,
  callerKeyChecksum,
  isWellFormedCallerKey,
  newCallerKey,
} from '../../../src/auth/caller-key-format.js';
import { generateCallerKey } from '../../../src/auth/generate-caller-key.js';

// Vectors computed independently with Python's zlib.crc32 (IEEE) and base62 "0-9A-Za-z".
const VECTORS: ReadonlyArray<[string, string]> = [
  ['0'.repeat(43), '2CZclj'],
  ['z'.repeat(43), '0UsatS'], // zero-padded: CRC32 456301614 has 5 base62 digits
  ['AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg', '2vUM9x'],
];

describe('caller key format', () => {
  it.each(VECTORS)('checksum of %s is %s (CRC32 as 6 base62 digits, most significant first)', (randomPart, checksum) => {
    expect(callerKeyChecksum(randomPart)).toBe(checksum);
    expect(isWellFormedCallerKey(`tv_${randomPart}${checksum}`)).toBe(true);
  });

  it('generates 52-character keys that pass the check and the scanner pattern, each new', () => {
    const keys = Array.from({ length: 200 }, () => generateCallerKey());
    for (const key of keys) {
      expect(key).toMatch(/^tv_[0-9A-Za-z]{49}$/);
      expect(key).toHaveLength(52);
      expect(isWellFormedCallerKey(key)).toBe(true);
      expect(CALLER_KEY_PATTERN.test(`leaked: ${key}.`)).toBe(true);
    }
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('maps random bytes to base62 without modulo bias: bytes from 248 up are skipped, not folded', () => {
    // 248..255 would map to 0..7 under a plain `% 62`; here they must be discarded.
    const biased = Array.from({ length: 8 }, (_, i) => 248 + i);
    let calls = 0;
    const random = (size: number) => {
      calls += 1;
      return calls === 1 ? Uint8Array.from({ length: size }, (_, i) => biased[i % 8] as number) : Uint8Array.from({ length: size }, (_, i) => i % 62);
    };
    const key = newCallerKey(random);
    expect(calls).toBe(2);
    expect(key.slice(3, 46)).toBe(BASE62_ALPHABET.slice(0, 43));
  });

  it('uses every base62 character about equally often (no bias toward the first ones)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 2000; i += 1) {
      for (const char of newCallerKey().slice(3, 46)) counts.set(char, (counts.get(char) ?? 0) + 1);
    }
    expect(counts.size).toBe(62);
    // 86,000 draws: about 1,387 each (sd ~37). Folding bytes 248-255 with `% 62` would give 0-7 about 1,720.
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(1150);
      expect(count).toBeLessThan(1650);
    }
  });

  it.each<[string, string]>([
    ['the old base64url format', `tv_${'A'.repeat(43)}`],
    ['a wrong checksum', `tv_${'0'.repeat(43)}2CZclk`],
    ['one changed random character', `tv_1${'0'.repeat(42)}2CZclj`],
    ['no prefix', `xx_${'0'.repeat(43)}2CZclj`],
    ['a character outside base62', `tv_-${'0'.repeat(42)}2CZclj`],
    ['one character too many', `tv_${'0'.repeat(43)}2CZclj0`],
    ['an empty string', ''],
    ['a guess', 'tv_guess'],
  ])('refuses %s', (_name, key) => {
    expect(isWellFormedCallerKey(key)).toBe(false);
  });
});
