/** Turns whatever `jwtVerify` threw into a TokenVerificationError with a stable code. */
import { errors } from 'jose';
import { TokenVerificationError } from './errors.js';

/**
 * Maps a verification failure to its {@link TokenVerificationError}; the original is kept as `cause`.
 * Messages are fixed text plus jose's error code, never anything read from the token.
 *
 * @example
 * try { await jwtVerify(token, key, options); } catch (err) { throw toVerificationError(err); }
 */
export function toVerificationError(err: unknown): TokenVerificationError {
  if (err instanceof TokenVerificationError) return err;
  if (err instanceof errors.JWTExpired) {
    return new TokenVerificationError('ERR_TOKENVEND_TOKEN_EXPIRED', 'Token has expired', { cause: err });
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    return new TokenVerificationError(
      'ERR_TOKENVEND_CLAIM_INVALID',
      `Token claim "${err.claim}" is ${err.reason === 'missing' ? 'missing' : 'invalid'}`,
      { cause: err, claim: err.claim },
    );
  }
  // Anything else (bad structure or signature, disallowed alg, unknown kid, or a surprise) means the
  // token cannot be trusted. Some jose messages quote header values, so only the code is echoed.
  const reason = err instanceof errors.JOSEError ? ` (${err.code})` : '';
  return new TokenVerificationError('ERR_TOKENVEND_TOKEN_INVALID', `Token is invalid${reason}`, { cause: err });
}
