/** Turns PRIVATE_KEY-style text (PEM, private JWK, or a secret) into a KeyObject or secret bytes. */
import { createPrivateKey, type JsonWebKeyInput, type KeyObject } from 'node:crypto';
import { jsonErrorLocation } from '../config/json-error-location.js';
import { findPemBlock, type FindPemBlockOptions } from './find-pem-block.js';
import { KeyMaterialError } from './key-material-error.js';

export interface KeyHints {
  /** `kid` member of a JWK, if it had one. */
  readonly kid?: string;
  /** `alg` member of a JWK, if it had one. */
  readonly alg?: string;
}

export type ParsedKey =
  | { readonly kind: 'asymmetric'; readonly key: KeyObject; readonly hints: KeyHints }
  | { readonly kind: 'secret'; readonly secret: Buffer; readonly hints: KeyHints };

/**
 * Classifies and parses key material. Messages describe the problem, never the material. A PEM
 * must start the text; of several blocks the first that holds a key is read, so the EC PARAMETERS
 * block `openssl ecparam -genkey` writes first is skipped, and a certificate after the key is
 * ignored; a text holding two private (or two public) keys is refused, `several` saying where
 * they go instead (findPemBlock).
 *
 * @example
 * parseKeyMaterial(process.env.PRIVATE_KEY, { several: 'several keys go in SIGNING_KEYS_FILE' }); // { kind: 'asymmetric', key, hints: {} }
 */
export function parseKeyMaterial(material: string, options: KeyDoorHints = {}): ParsedKey {
  const text = material.trim();
  refuseKeyShapedMistakes(text, options);
  if (text.startsWith('-----BEGIN')) return parsePem(text, options);
  if (text.startsWith('{')) {
    let jwk: unknown;
    try {
      jwk = JSON.parse(text);
    } catch {
      throw new KeyMaterialError('key', `looks like a JWK but is not valid JSON (${jsonErrorLocation(text)})`);
    }
    return parseJwk(jwk);
  }
  return { kind: 'secret', secret: Buffer.from(text, 'utf8'), hints: {} };
}

/** What a door adds to its refusals: where several keys go (findPemBlock), and how a key is read from a file there. */
export interface KeyDoorHints extends FindPemBlockOptions {
  /**
   * Added to the refusal of a value that looks like a file path, e.g. `to read the key from a file,
   * set PRIVATE_KEY_FILE to that path instead`; without it, the refusal asks for the key itself.
   */
  readonly path?: string;
  /** Added, in parentheses, to the refusal of a bare base64 DER key, e.g. `or use PRIVATE_KEY_FILE`. */
  readonly der?: string;
}

// A file path: absolute, relative to ".", "..", "~", or a Windows drive, or ending in a key file's extension.
// Random secrets (hex, base64, base64url, UUIDs) contain no "." and do not start with "./", "~/" or "/etc/"...
const PATH_PREFIX = /^(?:\.{1,2}[\\/]|~\/|[A-Za-z]:\\|\/(?:etc|run|var|home|root|secrets?|tmp|opt|srv|mnt|usr|data|keys?|config)\/)/;
const KEY_FILE_NAME = /^[^\s"'{}]*[\\/]?[^\s"'{}\\/]+\.(?:pem|key|der|p8|pk8|jwk|json|txt|crt)$/i;
// Base64 (either alphabet) with line breaks allowed, as a PEM body copied without its armour.
const BASE64_BODY = /^[A-Za-z0-9+/\-_\s]+={0,2}$/;

/**
 * Values that would otherwise become an HMAC secret and sign HS256 with nothing published: a path,
 * key material that does not start where it should, quotes a .env file kept, or a bare DER key.
 * Each becomes a refusal that says what was seen, never the value.
 */
function refuseKeyShapedMistakes(text: string, { path = 'give the key itself, not where it is stored', der }: KeyDoorHints): void {
  const first = text[0];
  if ((first === '"' || first === "'") && text.length > 1 && text.endsWith(first)) {
    throw new KeyMaterialError('key', 'is wrapped in quotes; remove them (a .env file or a shell kept them as part of the value)');
  }
  if (!text.startsWith('-----BEGIN') && /-----(?:BEGIN|END) /.test(text)) {
    throw new KeyMaterialError('key', 'contains a PEM "-----BEGIN" or "-----END" line but does not start with "-----BEGIN" (stray quotes or text before it?)');
  }
  if (!text.startsWith('{') && (text.endsWith('}') || /"(?:kty|keys)"\s*:/.test(text))) {
    throw new KeyMaterialError('key', 'looks like part of a JWK but does not start with "{" (stray quotes or text before it?)');
  }
  if (first !== '{' && first !== '-' && (PATH_PREFIX.test(text) || KEY_FILE_NAME.test(text))) {
    throw new KeyMaterialError('key', `looks like a file path, not key material; ${path}`);
  }
  if (first !== '{' && first !== '-' && BASE64_BODY.test(text) && isDerSequence(text)) {
    throw new KeyMaterialError('key', `is a base64 DER key without its PEM lines; add the "-----BEGIN PRIVATE KEY-----" and "-----END PRIVATE KEY-----" lines${der === undefined ? '' : ` (${der})`}`);
  }
}

/** True when the text decodes (base64 or base64url) to exactly one DER SEQUENCE: a key body, not a secret. */
function isDerSequence(text: string): boolean {
  const der = Buffer.from(text.replace(/\s+/g, ''), text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
  if (der.length < 16 || der[0] !== 0x30) return false;
  const first = der[1] as number;
  if (first < 0x80) return der.length === 2 + first;
  const lengthBytes = first & 0x7f;
  if (lengthBytes === 0 || lengthBytes > 3) return false;
  let length = 0;
  for (let index = 0; index < lengthBytes; index += 1) length = length * 256 + (der[2 + index] as number);
  return der.length === 2 + lengthBytes + length;
}

/**
 * Reads the key block (findPemBlock: the rule `verify --key` and @tokenvend/verify follow). Text
 * without a complete block keeps its first BEGIN line, so a key cut short stays "cannot be read".
 */
function parsePem(text: string, options: FindPemBlockOptions): ParsedKey {
  const pem = findPemBlock(text, options)?.pem ?? text;
  const label = /^-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1] ?? '';
  if (label.includes('ENCRYPTED') || text.includes('Proc-Type: 4,ENCRYPTED')) {
    throw new KeyMaterialError('key', 'is an encrypted PEM; provide the key unencrypted (mount it as a secret file)');
  }
  if (!label.endsWith('PRIVATE KEY')) {
    throw new KeyMaterialError('key', `is a PEM "${label}"; a private key (BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY) is required`);
  }
  try {
    return { kind: 'asymmetric', key: createPrivateKey({ key: pem, format: 'pem' }), hints: {} };
  } catch {
    throw new KeyMaterialError('key', `is a "${label}" PEM that cannot be read`);
  }
}

/** Parses a private JWK (RFC 7517); also used for the members of a key set. */
export function parseJwk(jwk: unknown): ParsedKey {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new KeyMaterialError('key', 'must be a JWK object');
  const { kty, kid, alg, d, k } = jwk as Record<string, unknown>;
  if (kid !== undefined && typeof kid !== 'string') throw new KeyMaterialError('kid', 'JWK "kid" must be a string');
  if (alg !== undefined && typeof alg !== 'string') throw new KeyMaterialError('alg', 'JWK "alg" must be a string');
  const hints: KeyHints = { ...(kid !== undefined && { kid }), ...(alg !== undefined && { alg }) };
  if (kty === 'oct') {
    if (typeof k !== 'string' || k === '') throw new KeyMaterialError('key', 'is an "oct" JWK without "k"');
    return { kind: 'secret', secret: Buffer.from(k, 'base64url'), hints };
  }
  if (kty !== 'RSA' && kty !== 'EC' && kty !== 'OKP') throw new KeyMaterialError('key', 'JWK "kty" must be RSA, EC, OKP or oct');
  if (typeof d !== 'string') throw new KeyMaterialError('key', 'is a public JWK; a private key (with "d") is required');
  try {
    return { kind: 'asymmetric', key: createPrivateKey({ key: jwk as JsonWebKeyInput['key'], format: 'jwk' }), hints };
  } catch {
    throw new KeyMaterialError('key', `is a ${kty} JWK that cannot be read`);
  }
}
