/** @tokenvend/verify: verify tokenvend JWTs against the issuer's JWKS, in code or as Express middleware. */
export { createVerifier, type Verifier } from './create-verifier.js';
export { TokenVerificationError, VerifierConfigError, type TokenVerificationErrorCode } from './errors.js';
export type { FetchLike, VerifierOptions } from './options.js';
export type { LocalKeys } from './local-keys.js';
export { DEFAULTS as VERIFIER_DEFAULTS, type TokenType, type VerifierAlgorithm } from './defaults.js';
export { readTokenClaims, type TokenClaims, type TokenRestrictions, type TokenScope, type TokenTag } from './token-claims.js';
export { toVerificationError } from './to-verification-error.js';
export type { ProblemCode } from './problems.js';
export type { NextLike, OrgTokenMiddleware, RequestLike, ResponseLike } from './http-types.js';
export {
  getTokenClaims,
  requireOrgToken,
  type AuthenticatedRequest,
  type RequireOrgTokenOptions,
} from './require-org-token.js';
