/**
 * Local verification keys: a PEM (public key, certificate, or a private key whose public part is
 * used), a JWK or a JWK Set, given as text or as objects, turned into a public-only JWK Set once.
 */
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { JSONWebKeySet, JWK } from 'jose';
import { VerifierConfigError } from './errors.js';

/** What the `keys` option takes: PEM or JSON text, a JWK, or a JWK Set. */
export type LocalKeys = string | JWK | JSONWebKeySet;

// RFC 7468 §3: the label of the END line repeats the BEGIN line's. Found anywhere in the text, so
// comment lines or an `openssl pkcs12` "Bag Attributes" header before the block do not matter.
const PEM_BLOCKS = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?\r?\n-----END \1-----/g;
// Every BEGIN line, closed or not: a second key cut short is still a second key.
const BEGIN_LINES = /-----BEGIN ([A-Z0-9 ]+)-----/g;
/**
 * Labels of the blocks that hold a key. Others are skipped when a later block is a key: the
 * `EC PARAMETERS` block `openssl ecparam -genkey` writes before its `EC PRIVATE KEY`, a CSR.
 * Two private or two public keys are refused; certificates are not counted, a chain being one key,
 * its leaf first. The text may be on one line with `\n` escapes (.env). (The same rules as the
 * tokenvend service's own key loading and its CLI's `verify --key`: src/keys/find-pem-block.ts.)
 */
const KEY_LABEL = /^(?:PUBLIC KEY|RSA PUBLIC KEY|CERTIFICATE|(?:[A-Z]+ )*PRIVATE KEY)$/;
const PRIVATE_LABEL = /^(?:[A-Z]+ )*PRIVATE KEY$/;
const PUBLIC_LABEL = /^(?:RSA )?PUBLIC KEY$/;
/** Members a published JWK may carry besides its key material (RFC 7517 §4). */
const PUBLIC_METADATA = ['kid', 'alg', 'use', 'key_ops', 'orgIds'] as const;

/**
 * Reads local keys into a public-only JWK Set. HMAC is never inferred (RFC 8725 §2.1): text that is
 * neither a PEM block nor JSON is refused, not taken for a secret, and so is an `oct` JWK; text that
 * contains `-----BEGIN` but no block that parses is refused too. Of several PEM blocks, the first
 * that holds a key is read (an `EC PARAMETERS` block before it is skipped; of a certificate chain,
 * the leaf), but text naming two different keys, in whatever forms (two public keys, a public key
 * and another key's certificate), is refused rather than the first used. PEM text on one line whose line breaks are written `\n` (a .env value) is read with those as
 * line breaks. Throws {@link VerifierConfigError} naming `keys`; the message never quotes the material.
 *
 * @example
 * readLocalKeys(readFileSync('issuer-public.pem', 'utf8')); // { keys: [{ kty: 'EC', crv: 'P-256', x, y }] }
 */
export function readLocalKeys(keys: LocalKeys): JSONWebKeySet {
  if (typeof keys === 'string') return readText(keys);
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) throw invalid('must be PEM or JSON text, a JWK or a JWK Set');
  return toPublicSet(keys);
}

function readText(material: string): JSONWebKeySet {
  // JSON first: a JWK Set whose member carries a PEM is still a JWK Set (as the service's verify --key reads it).
  if (!material.trimStart().startsWith('{') && material.includes('-----BEGIN')) {
    const text = withEnvLineBreaks(material);
    refuseSeveralKeys(text);
    const blocks = [...text.matchAll(PEM_BLOCKS)];
    refuseSeveralDistinctKeys(blocks.map((match) => [match[1] as string, match[0]] as const));
    const block = blocks.find((match) => KEY_LABEL.test(match[1] as string)) ?? blocks[0];
    if (block === undefined) throw invalid('contains "-----BEGIN" but no complete PEM block');
    return { keys: [publicJwk(() => createPublicKey(block[0]), `holds a PEM block (${block[1]}) that does not parse as a key or certificate`)] };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(material);
  } catch {
    throw invalid('is neither a PEM block nor JSON (a JWK or JWK Set); an HMAC secret is never inferred, and @tokenvend/verify accepts asymmetric keys only');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('JSON must be a JWK or a JWK Set object');
  return toPublicSet(parsed as JWK | JSONWebKeySet);
}

/** The .env form: one line, its line breaks escaped. Only then, so that text with real lines is never rewritten. */
function withEnvLineBreaks(text: string): string {
  return text.includes('\\n') && !/[\r\n]/.test(text.trim()) ? text.replace(/\\n/g, '\n') : text;
}

/** Keys pasted together (the old and the next during a rotation) would otherwise leave all but the first unused. */
function refuseSeveralKeys(text: string): void {
  const labels = [...text.matchAll(BEGIN_LINES)].map((match) => match[1] as string);
  for (const [kind, label] of [['private', PRIVATE_LABEL], ['public', PUBLIC_LABEL]] as const) {
    const count = labels.filter((candidate) => label.test(candidate)).length;
    if (count > 1) throw invalid(`holds ${count} ${kind} keys; give exactly one (several keys go in a JWK Set, each with its own kid, or are fetched through "jwksUri" or "issuer")`);
  }
}

/**
 * The keys a verifier would trust, each once: a private key's public part, a public key, and the
 * leaf of each certificate chain (a certificate that signed the one before it belongs to its chain;
 * any other starts a new one), so that a public key and another key's certificate, or two
 * certificates that are not one chain, are refused as two public keys are. The same key in two forms
 * (a private key and its certificate) is one. (src/keys/find-pem-block.ts, `verifying`.)
 */
function refuseSeveralDistinctKeys(blocks: ReadonlyArray<readonly [label: string, pem: string]>): void {
  const keys = new Set<string>();
  let previous: X509Certificate | undefined;
  for (const [label, pem] of blocks) {
    if (!KEY_LABEL.test(label)) continue;
    try {
      if (label === 'CERTIFICATE') {
        const certificate = new X509Certificate(pem);
        const continuesChain = previous !== undefined && previous.verify(certificate.publicKey);
        previous = certificate;
        if (continuesChain) continue;
        keys.add(certificate.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'));
      } else {
        previous = undefined;
        keys.add(createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('base64'));
      }
    } catch {
      // A block that does not parse is judged where it is read, if it is the one read.
      previous = undefined;
    }
  }
  if (keys.size > 1) throw invalid(`holds ${keys.size} different keys; give exactly one (several keys go in a JWK Set, each with its own kid, or are fetched through "jwksUri" or "issuer")`);
}

function toPublicSet(value: JWK | JSONWebKeySet): JSONWebKeySet {
  const list = 'keys' in value ? value.keys : [value];
  if (!Array.isArray(list) || list.length === 0) throw invalid('JWK Set must have a non-empty "keys" array');
  return { keys: list.map((jwk, index) => publicMember(jwk, 'keys' in value ? `key ${index}` : 'the JWK')) };
}

/** The public half of one JWK, with its metadata; `oct` (a shared secret) is refused. */
function publicMember(jwk: unknown, name: string): JWK {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw invalid(`${name} is not a JSON object`);
  const { kty } = jwk as JWK;
  if (kty === 'oct') throw invalid(`${name} is a symmetric (oct) key: HMAC is not accepted, as a JWKS never publishes secrets`);
  const exported = publicJwk(() => createPublicKey({ key: jwk as JWK & { kty: string }, format: 'jwk' }), `${name} is not a valid asymmetric JWK`);
  for (const member of PUBLIC_METADATA) {
    if ((jwk as Record<string, unknown>)[member] !== undefined) (exported as Record<string, unknown>)[member] = (jwk as Record<string, unknown>)[member];
  }
  return exported;
}

function publicJwk(load: () => KeyObject, problem: string): JWK {
  let key: KeyObject;
  try {
    key = load();
  } catch {
    throw invalid(problem);
  }
  return key.export({ format: 'jwk' }) as JWK;
}

function invalid(problem: string): VerifierConfigError {
  return new VerifierConfigError('keys', problem);
}
