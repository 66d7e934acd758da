/** createVerifier: the one function consumers call to turn a tokenvend JWT into trusted claims. */
import { jwtVerify, type JWTHeaderParameters, type JWTVerifyOptions } from 'jose';
import { TokenVerificationError } from './errors.js';
import { createKeySource } from './key-source.js';
import { normalizeTyp, parseVerifierOptions, type VerifierOptions } from './options.js';
import { readTokenClaims, type TokenClaims } from './token-claims.js';
import { toVerificationError } from './to-verification-error.js';

/** Verifies one token; rejects with a `TokenVerificationError`. */
export type Verifier = (token: string) => Promise<TokenClaims>;

/**
 * Creates a verifier for tokens issued by tokenvend. Options are checked here, once: a bad URL, no key
 * source, or an HMAC / `none` algorithm throws `VerifierConfigError`. Each call then checks the
 * signature against the issuer's JWKS (asymmetric algorithms only), `exp` / `nbf` with clock
 * tolerance, `iss` and `aud` when configured, the `typ` header (`JWT` or `at+jwt`, or the one `typ`
 * required), and requires `orgId`, `jti`, `iat` and `exp`.
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

  const acceptedTypes = new Set(config.typ);

  return async function verify(token) {
    let payload;
    let protectedHeader: JWTHeaderParameters;
    try {
      ({ payload, protectedHeader } = await jwtVerify(token, resolveKey, verifyOptions));
    } catch (err) {
      throw toVerificationError(err);
    }
    // Checked here, not by jose's `typ` option, which takes one value: by default two are accepted.
    if (typeof protectedHeader.typ !== 'string' || !acceptedTypes.has(normalizeTyp(protectedHeader.typ))) {
      throw new TokenVerificationError('ERR_TOKENVEND_CLAIM_INVALID', `Token header "typ" is ${protectedHeader.typ === undefined ? 'missing' : 'not accepted'}`, { claim: 'typ' });
    }
    // A per-org key (tokenvend's ORG_KEYS_FILE) is published with the orgs it signs for: a token it
    // signed for any other org was not minted by tokenvend, whoever else holds that org's key.
    const orgIds = (resolveKey.jwkFor(protectedHeader.kid) as { orgIds?: unknown } | undefined)?.orgIds;
    if (Array.isArray(orgIds) && !orgIds.includes(payload.orgId)) {
      throw new TokenVerificationError('ERR_TOKENVEND_CLAIM_INVALID', 'Token claim "orgId" is not one the signing key may sign for', { claim: 'orgId' });
    }
    return readTokenClaims(payload);
  };
}
