/** createVerifier: the one function consumers call to turn a tokenvend JWT into trusted claims. */
import { jwtVerify, type JWTVerifyOptions } from 'jose';
import { createKeySource } from './key-source.js';
import { parseVerifierOptions, type VerifierOptions } from './options.js';
import { readTokenClaims, type TokenClaims } from './token-claims.js';
import { toVerificationError } from './to-verification-error.js';

/** Verifies one token; rejects with a `TokenVerificationError`. */
export type Verifier = (token: string) => Promise<TokenClaims>;

/**
 * Creates a verifier for tokens issued by tokenvend. Options are checked here, once: a bad URL, no key
 * source, or an HMAC / `none` algorithm throws `VerifierConfigError`. Each call then checks the
 * signature against the issuer's JWKS (asymmetric algorithms only), `exp` / `nbf` with clock
 * tolerance, `iss` and `aud` when configured, and requires `orgId`, `jti`, `iat` and `exp`.
 *
 * @example
 * const verify = createVerifier({ issuer: 'https://tokens.example.com', audience: 'billing' });
 * const { orgId } = await verify(token); // or throws TokenVerificationError, e.g. ERR_TOKENVEND_TOKEN_EXPIRED
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const config = parseVerifierOptions(options);
  const resolveKey = createKeySource(config);
  const verifyOptions: JWTVerifyOptions = {
    algorithms: config.algorithms,
    clockTolerance: config.clockToleranceSeconds,
    requiredClaims: ['exp', 'iat'],
    ...(config.issuer !== undefined && { issuer: config.issuer }),
    ...(config.audience !== undefined && { audience: config.audience }),
  };

  return async function verify(token) {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, resolveKey, verifyOptions));
    } catch (err) {
      throw toVerificationError(err);
    }
    return readTokenClaims(payload);
  };
}
