/** Makes a new signing key for a JWS algorithm, as PKCS#8 PEM or as a private JWK with `kid` and `alg`. */
import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { ASYMMETRIC_ALGORITHMS, algorithmsFor } from '../keys/algorithms.js';

export type KeygenAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

/** RSA modulus for new keys: 3072 bits is NIST's 128-bit security level (SP 800-57 Part 1 §5.6.1). */
export const NEW_RSA_BITS = 3072;

const generate = promisify(generateKeyPair);

/**
 * A new private key that suits `alg`: RSA 3072 for RS* and PS*, P-256/P-384/P-521 for ES256/ES384/ES512,
 * Ed25519 for EdDSA. RSA keys are plain `rsa` (not `rsa-pss`), which every JOSE library imports.
 *
 * @example
 * const key = await generatePrivateKey('ES384');
 */
export async function generatePrivateKey(alg: KeygenAlgorithm): Promise<KeyObject> {
  switch (alg.slice(0, 2)) {
    case 'RS':
    case 'PS':
      return (await generate('rsa', { modulusLength: NEW_RSA_BITS })).privateKey;
    case 'ES': {
      const namedCurve = alg === 'ES256' ? 'P-256' : alg === 'ES384' ? 'P-384' : 'P-521';
      return (await generate('ec', { namedCurve })).privateKey;
    }
    default:
      return (await generate('ed25519')).privateKey;
  }
}

/**
 * PKCS#8 PEM (RFC 5208), the form PRIVATE_KEY and PRIVATE_KEY_FILE take most often.
 *
 * @example
 * process.stdout.write(toPkcs8Pem(await generatePrivateKey('EdDSA')));
 */
export function toPkcs8Pem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }) as string;
}

/**
 * A private JWK (RFC 7517) with `kid` (the RFC 7638 SHA-256 thumbprint unless given) and `alg`,
 * which the service then uses without SIGNING_ALG or KEY_ID.
 *
 * @example
 * const jwk = await toPrivateJwk(key, 'ES256'); // { kid: 'NzbL…', alg: 'ES256', use: 'sig', kty: 'EC', crv: 'P-256', x, y, d }
 */
export async function toPrivateJwk(key: KeyObject, alg: KeygenAlgorithm, kid?: string): Promise<JWK> {
  const members = key.export({ format: 'jwk' }) as JWK;
  return { kid: kid ?? (await calculateJwkThumbprint(members, 'sha256')), alg, use: 'sig', ...members };
}

/**
 * True when a PEM of this key loads with `alg` without SIGNING_ALG: a PEM does not record its algorithm,
 * and the service infers the first one the key suits (RS256 for RSA).
 *
 * @example
 * isInferredAlgorithm(rsaKey, 'PS256'); // false: SIGNING_ALG=PS256 is needed
 */
export function isInferredAlgorithm(key: KeyObject, alg: string): boolean {
  return algorithmsFor(key)[0] === alg;
}
