/**
 * Proves a key can do its job: a probe signed with it verifies against the public key it
 * publishes. A key whose parts disagree (a JWK whose `d` belongs to another `x`/`y`) would
 * otherwise issue tokens no consumer accepts; one whose `d` is too long would fail every signature.
 */
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { nodeSignParams } from './algorithms.js';
import { KeyMaterialError } from './key-material-error.js';
import type { PublicJwk, SigningKey } from './signing-key.js';

const PROBE = Buffer.from('tokenvend probe');

/**
 * Signs a probe with the private key, here on the calling thread (so that a signing thread's own
 * failure is never blamed on the key), and verifies it against the published JWK. Throws a
 * KeyMaterialError naming the key's `kid` and the problem, never the material.
 *
 * @example
 * proveKeyPair(privateKey, publicJwk);
 */
export function proveKeyPair(privateKey: KeyObject, publicJwk: PublicJwk): void {
  const { digest, ...options } = nodeSignParams(publicJwk.alg);
  let signature: Buffer;
  try {
    signature = sign(digest, PROBE, { key: privateKey, ...options });
  } catch (error) {
    // OpenSSL's reason ("too small buffer") says what is wrong and carries nothing of the key.
    const message = (error as { message?: unknown } | null)?.message;
    const reason = typeof message === 'string' ? message.replace(/^error:[0-9A-Fa-f]+:[^:]*::/, '').slice(0, 120) : 'unknown error';
    throw new KeyMaterialError('key', `key "${publicJwk.kid}" cannot sign (${reason}): its private part is malformed`);
  }
  if (!verify(digest, PROBE, { key: createPublicKey({ key: { ...publicJwk }, format: 'jwk' }), ...options }, signature)) {
    throw new KeyMaterialError('key', `key "${publicJwk.kid}" signs what its published public key does not verify: its private part does not match its public part`);
  }
}

/**
 * Whether the key signs now, through its own signing path (thread, pool or batch), with a
 * signature that verifies: what /readyz asks of a key whose last signature failed.
 *
 * @example
 * if (!(await probeSigningKey(keyRing.active))) state = 'down';
 */
export async function probeSigningKey(key: SigningKey): Promise<boolean> {
  const input = `${key.encodedHeader}.${PROBE.toString('base64url')}`;
  try {
    const signature = await key.sign(input);
    if (key.publicJwk === undefined) return true;
    const { digest, ...options } = nodeSignParams(key.alg);
    return verify(digest, Buffer.from(input), { key: createPublicKey({ key: { ...key.publicJwk }, format: 'jwk' }), ...options }, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}
