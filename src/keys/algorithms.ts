/** Which JWS algorithms (RFC 7518 §3.1) suit which key, and the WebCrypto parameters each signs with. */
import { constants, type KeyObject } from 'node:crypto';

export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;

/** Shortest RSA modulus accepted (RFC 7518 §3.3 requires 2048 bits). */
export const MIN_RSA_BITS = 2048;

const EC_CURVES: Readonly<Record<string, { alg: string; crv: string }>> = {
  prime256v1: { alg: 'ES256', crv: 'P-256' },
  secp384r1: { alg: 'ES384', crv: 'P-384' },
  secp521r1: { alg: 'ES512', crv: 'P-521' },
};

/** The algorithms an asymmetric key can sign with; the first is the default. Empty means unsupported. */
export function algorithmsFor(key: KeyObject): string[] {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ec': {
      const curve = EC_CURVES[details.namedCurve ?? ''];
      return curve ? [curve.alg] : [];
    }
    case 'ed25519':
      return ['EdDSA'];
    default:
      return [];
  }
}

/** Describes a key for error messages, without any key material. */
export function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      return `${details.modulusLength ?? '?'}-bit RSA key`;
    case 'ec':
      return `EC key on ${EC_CURVES[details.namedCurve ?? '']?.crv ?? details.namedCurve ?? 'an unknown curve'}`;
    default:
      return `${key.asymmetricKeyType ?? 'unknown'} key`;
  }
}

/** Minimum HMAC secret length in bytes: the hash's output size (RFC 7518 §3.2). */
export function minHmacBytes(alg: string): number {
  return alg === 'HS512' ? 64 : alg === 'HS384' ? 48 : 32;
}

/** How node:crypto signs for a JWS algorithm: the digest (none for EdDSA) and the signature options. */
export interface NodeSignParams {
  readonly digest: string | null;
  readonly padding?: number;
  readonly saltLength?: number;
  /** JWS wants ECDSA signatures as r || s (RFC 7518 §3.4), not DER. */
  readonly dsaEncoding?: 'ieee-p1363';
}

export function nodeSignParams(alg: string): NodeSignParams {
  const bits = alg.slice(2);
  switch (alg.slice(0, 2)) {
    case 'RS':
      return { digest: `sha${bits}`, padding: constants.RSA_PKCS1_PADDING };
    case 'PS':
      // RFC 7518 §3.5: the salt is as long as the hash.
      return { digest: `sha${bits}`, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(bits) / 8 };
    case 'ES':
      return { digest: `sha${bits}`, dsaEncoding: 'ieee-p1363' };
    default:
      return { digest: null };
  }
}
