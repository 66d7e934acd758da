/** Turns a --key file (public or private PEM, JWK, JWKS) or a --secret file (HMAC) into what jose's jwtVerify takes. */
import { createPublicKey, type JsonWebKeyInput, type KeyObject } from 'node:crypto';
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { algorithmsFor, ASYMMETRIC_ALGORITHMS, describeKey, HMAC_ALGORITHMS, MIN_RSA_BITS, minHmacBytes } from '../keys/algorithms.js';
import { jsonErrorLocation } from '../config/json-error-location.js';
import { findPemBlock } from '../keys/find-pem-block.js';
import { KeyMaterialError } from '../keys/key-material-error.js';
import { parseJwk, parseKeyMaterial, type ParsedKey } from '../keys/parse-key-material.js';

export interface VerificationKey {
  /** A public KeyObject, HMAC secret bytes, or a key set that picks by `kid`. */
  readonly key: KeyObject | Uint8Array | JWTVerifyGetKey;
  /** The algorithms this key may verify; never `none`, and HMAC only for a secret (RFC 8725 §3.1). */
  readonly algorithms: readonly string[];
  /** What the key is, for messages: never any material. */
  readonly description: string;
}

/**
 * Reads a key file: a PEM block (`PUBLIC KEY`, a certificate, or any private key, of which only the
 * public part is used) found anywhere in the file, so comment lines and `openssl pkcs12` "Bag
 * Attributes" headers around it do not matter (of a certificate chain, the leaf; a file naming two
 * different keys, in any forms, is refused); a JWK (public or private; its `alg` pins the
 * algorithm; an `oct` JWK is an HMAC secret); or a JWKS document such as /.well-known/jwks.json.
 * Nothing else: text that is neither is refused, never taken as an HMAC secret, since a public key
 * used as one verifies tokens anyone can forge (RFC 8725 §2.1). Secrets come from
 * loadVerificationSecret. Errors are KeyMaterialErrors describing the problem, never the material.
 *
 * @example
 * const { key, algorithms } = loadVerificationKey(readFileSync('signing-key.pem', 'utf8'));
 * await jwtVerify(token, key, { algorithms: [...algorithms] });
 */
export function loadVerificationKey(material: string): VerificationKey {
  const text = material.trim();
  if (text === '') throw new KeyMaterialError('key', 'is empty');
  // JSON first: a JWK Set whose member carries a PEM (an x5c-less certificate field, a note) is still a JWK Set.
  if (text.startsWith('{')) return fromJson(text);
  if (text.includes('-----BEGIN')) return fromPem(keyBlock(text));
  throw new KeyMaterialError('key', 'is neither a PEM nor a JWK or JWKS (an HMAC secret goes in --secret FILE)');
}

/**
 * Reads an HMAC secret file (its text, without surrounding whitespace). Refuses what looks like a
 * key, so that a key file passed as a secret cannot verify tokens forged with it.
 *
 * @example
 * const { key, algorithms } = loadVerificationSecret(readFileSync('hmac-secret', 'utf8')); // HS256...
 */
export function loadVerificationSecret(material: string): VerificationKey {
  const text = material.trim();
  if (text === '') throw new KeyMaterialError('key', 'is empty');
  if (text.includes('-----BEGIN') || text.startsWith('{')) throw new KeyMaterialError('key', 'looks like a PEM or JWK, not an HMAC secret (a key goes in --key FILE)');
  return fromParsed(parseKeyMaterial(text));
}

/**
 * The key block of the text (see findPemBlock); a label alone, a block that does not close, and two
 * different keys in any forms (a public key and another key's certificate, say) are refused.
 */
function keyBlock(text: string): string {
  const block = findPemBlock(text, { several: 'several keys go in a JWKS file, such as /.well-known/jwks.json, or use --jwks URL', verifying: true });
  if (block === undefined) throw new KeyMaterialError('key', 'holds "-----BEGIN" but no complete PEM block');
  return block.pem;
}

function fromPem(pem: string): VerificationKey {
  const label = /^-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1] ?? '';
  if (label.endsWith('PRIVATE KEY')) return fromParsed(parseKeyMaterial(pem));
  if (label !== 'PUBLIC KEY' && label !== 'RSA PUBLIC KEY' && label !== 'CERTIFICATE') {
    throw new KeyMaterialError('key', `is a PEM "${label}"; a public key, certificate or private key is required`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new KeyMaterialError('key', `is a "${label}" PEM that cannot be read`);
  }
  return fromPublicKey(key, undefined);
}

function fromJson(text: string): VerificationKey {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes the input.
    throw new KeyMaterialError('key', `looks like JSON but is not valid JSON (${jsonErrorLocation(text)})`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new KeyMaterialError('key', 'must be a JWK or JWKS object');
  if ('keys' in document) return fromJwks(document as JSONWebKeySet);
  const jwk = document as Record<string, unknown>;
  // An `oct` JWK says what it is: the only way besides --secret to verify HS*.
  if (jwk.kty === 'oct' || typeof jwk.d === 'string') return fromParsed(parseJwk(jwk));
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC' && jwk.kty !== 'OKP') throw new KeyMaterialError('key', 'JWK "kty" must be RSA, EC, OKP or oct');
  if (jwk.alg !== undefined && typeof jwk.alg !== 'string') throw new KeyMaterialError('alg', 'JWK "alg" must be a string');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk as JsonWebKeyInput['key'], format: 'jwk' });
  } catch {
    throw new KeyMaterialError('key', `is a ${String(jwk.kty)} JWK that cannot be read`);
  }
  return fromPublicKey(key, jwk.alg);
}

function fromJwks(document: JSONWebKeySet): VerificationKey {
  let keySet: JWTVerifyGetKey;
  try {
    keySet = createLocalJWKSet(document);
  } catch {
    throw new KeyMaterialError('key', 'is not a valid JWKS document');
  }
  // Each JWK's own `alg` and `kty` still pin what it verifies; HMAC is never taken from a published set.
  return { key: keySet, algorithms: ASYMMETRIC_ALGORITHMS, description: `a JWKS of ${document.keys.length} key(s)` };
}

function fromParsed(parsed: ParsedKey): VerificationKey {
  if (parsed.kind === 'asymmetric') return fromPublicKey(createPublicKey(parsed.key), parsed.hints.alg);
  const { alg } = parsed.hints;
  if (alg !== undefined && !(HMAC_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new KeyMaterialError('alg', `${alg} does not suit an HMAC secret (use HS256, HS384 or HS512)`);
  }
  // As the service: a secret shorter than its algorithm's hash is refused (RFC 7518 §3.2).
  const algorithms = (alg === undefined ? HMAC_ALGORITHMS : [alg]).filter((candidate) => parsed.secret.length >= minHmacBytes(candidate));
  if (algorithms.length === 0) {
    throw new KeyMaterialError('key', `is an HMAC secret of ${parsed.secret.length} bytes; ${alg ?? 'HS256'} needs at least ${minHmacBytes(alg ?? 'HS256')}`);
  }
  return { key: new Uint8Array(parsed.secret), algorithms, description: `an HMAC secret of ${parsed.secret.length} bytes` };
}

function fromPublicKey(key: KeyObject, alg: string | undefined): VerificationKey {
  const suitable = algorithmsFor(key);
  if (suitable.length === 0) throw new KeyMaterialError('key', `is an unsupported ${describeKey(key)} (use RSA, P-256, P-384, P-521 or Ed25519)`);
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits !== undefined && bits < MIN_RSA_BITS) throw new KeyMaterialError('key', `is a ${bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required`);
  if (alg !== undefined && !suitable.includes(alg)) throw new KeyMaterialError('alg', `${alg} does not suit the ${describeKey(key)} (it supports ${suitable.join(', ')})`);
  return { key, algorithms: alg === undefined ? suitable : [alg], description: describeKey(key) };
}
