/** The claims a verified tokenvend token carries, and the checks that make the type true. */
import type { JWTPayload } from 'jose';
import { TokenVerificationError } from './errors.js';

/** The payload of a verified token. `exp` and `iat` are checked by jose; `orgId` and `jti` here. */
export interface TokenClaims {
  /** The organization the token was issued for; never empty. */
  readonly orgId: string;
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
  /** Issue time, seconds since the epoch. */
  readonly iat: number;
  /** Unique token id. */
  readonly jti: string;
  readonly iss?: string;
  readonly aud?: string | string[];
  readonly [claim: string]: unknown;
}

/**
 * Narrows a signature-checked payload to {@link TokenClaims}, or throws `ERR_TOKENVEND_CLAIM_INVALID`.
 *
 * @example
 * const { payload } = await jwtVerify(token, key, { requiredClaims: ['exp', 'iat'] });
 * const claims = readTokenClaims(payload); // claims.orgId: string
 */
export function readTokenClaims(payload: JWTPayload): TokenClaims {
  requireNonEmptyString(payload, 'orgId');
  requireNonEmptyString(payload, 'jti');
  return payload as TokenClaims;
}

function requireNonEmptyString(payload: JWTPayload, claim: string): void {
  const value = payload[claim];
  if (typeof value !== 'string' || value === '') {
    throw new TokenVerificationError(
      'ERR_TOKENVEND_CLAIM_INVALID',
      value === undefined ? `Token claim "${claim}" is missing` : `Token claim "${claim}" must be a non-empty string`,
      { claim },
    );
  }
}
