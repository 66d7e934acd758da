/**
 * The claims a verified tokenvend token carries, and the checks that make the type true. The scope
 * types are the service's too: its request and CALLERS schemas must produce them (tokenvend's src/auth/token-scope.ts).
 */
import type { JWTPayload } from 'jose';
import { TokenVerificationError } from './errors.js';

/** Vapi's token scope tags: `private` for server-to-server calls, `public` for what a browser may carry. */
export type TokenTag = 'private' | 'public';

/**
 * Vapi's restrictions of a public token (`token.restrictions`), field names exactly as Vapi spells them;
 * only meaningful on `public` tokens.
 */
export interface TokenRestrictions {
  /** Vapi: the token is enabled (default true); a disabled token is refused everywhere. */
  readonly enabled?: boolean;
  /** Vapi checks the `Origin` header of the browser's request against these. */
  readonly allowedOrigins?: readonly string[];
  readonly allowedAssistantIds?: readonly string[];
  /** Vapi: may the web call use an inline (transient) assistant; false when `allowedAssistantIds` is set. */
  readonly allowTransientAssistant?: boolean;
}

/** The `token` claim tokenvend adds for callers with CALLERS `tags` (Vapi's "JWT Authentication" scope). */
export interface TokenScope {
  readonly tag: TokenTag;
  readonly restrictions?: TokenRestrictions;
}

/** The payload of a verified token. `exp` and `iat` are checked by jose; `orgId`, `jti` and `token` here. */
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
  /** The scope, when the issuing caller has CALLERS `tags`; checked to have this shape. */
  readonly token?: TokenScope;
  readonly [claim: string]: unknown;
}

/**
 * Narrows a signature-checked payload to {@link TokenClaims}, or throws `ERR_TOKENVEND_CLAIM_INVALID`.
 *
 * @example
 * const { payload } = await jwtVerify(token, key, { requiredClaims: ['exp', 'iat'] });
 * const claims = readTokenClaims(payload); // claims.orgId: string, claims.token?.tag: 'private' | 'public'
 */
export function readTokenClaims(payload: JWTPayload): TokenClaims {
  requireNonEmptyString(payload, 'orgId');
  requireNonEmptyString(payload, 'jti');
  if (payload.token !== undefined && !isTokenScope(payload.token)) {
    throw new TokenVerificationError('ERR_TOKENVEND_CLAIM_INVALID', 'Token claim "token" is invalid', { claim: 'token' });
  }
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

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isOptionalBoolean = (value: unknown): boolean => value === undefined || typeof value === 'boolean';
const isOptionalStrings = (value: unknown): boolean => value === undefined || (Array.isArray(value) && value.every((item) => typeof item === 'string'));

/** The shape Vapi defines; members Vapi may add later are let through, as Vapi would. */
function isTokenScope(value: unknown): value is TokenScope {
  if (!isObject(value) || (value.tag !== 'private' && value.tag !== 'public')) return false;
  const { restrictions } = value;
  if (restrictions === undefined) return true;
  return (
    isObject(restrictions) &&
    isOptionalBoolean(restrictions.enabled) &&
    isOptionalStrings(restrictions.allowedOrigins) &&
    isOptionalStrings(restrictions.allowedAssistantIds) &&
    isOptionalBoolean(restrictions.allowTransientAssistant)
  );
}
