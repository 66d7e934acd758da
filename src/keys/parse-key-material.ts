/** Turns PRIVATE_KEY-style text (PEM, private JWK, or a secret) into a KeyObject or secret bytes. */
import { createPrivateKey, type JsonWebKeyInput, type KeyObject } from 'node:crypto';
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
 * Classifies and parses key material. Messages describe the problem, never the material.
 *
 * @example
 * parseKeyMaterial(process.env.PRIVATE_KEY); // { kind: 'asymmetric', key, hints: {} }
 */
export function parseKeyMaterial(material: string): ParsedKey {
  const text = material.trim();
  if (text.startsWith('-----BEGIN')) return parsePem(text.includes('\\n') ? text.replace(/\\n/g, '\n') : text);
  if (text.startsWith('{')) {
    let jwk: unknown;
    try {
      jwk = JSON.parse(text);
    } catch {
      throw new KeyMaterialError('key', 'looks like a JWK but is not valid JSON');
    }
    return parseJwk(jwk);
  }
  return { kind: 'secret', secret: Buffer.from(text, 'utf8'), hints: {} };
}

function parsePem(pem: string): ParsedKey {
  const label = /^-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1] ?? '';
  if (label.includes('ENCRYPTED') || pem.includes('Proc-Type: 4,ENCRYPTED')) {
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
