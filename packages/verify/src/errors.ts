/** The two errors @tokenvend/verify throws: a failed token (by code) and a bad option, both with stable codes. */

/** Stable codes of {@link TokenVerificationError}. */
export type TokenVerificationErrorCode =
  /** The signature is valid but `exp` (plus clock tolerance) has passed. */
  | 'ERR_TOKENVEND_TOKEN_EXPIRED'
  /** Malformed token, bad signature, disallowed algorithm or unknown key. */
  | 'ERR_TOKENVEND_TOKEN_INVALID'
  /** A claim is missing or does not match (`iss`, `aud`, `orgId`, `jti`, `nbf`, ...). */
  | 'ERR_TOKENVEND_CLAIM_INVALID'
  /** The JWKS could not be fetched or parsed; the token itself may be fine. */
  | 'ERR_TOKENVEND_JWKS_UNAVAILABLE'
  /** The issuer's OpenID configuration could not be fetched or did not check out. */
  | 'ERR_TOKENVEND_DISCOVERY_FAILED';

/**
 * A token failed verification. The message never contains the token; the underlying jose error,
 * if any, is the `cause`.
 *
 * @example
 * try {
 *   await verify(token);
 * } catch (err) {
 *   if (err instanceof TokenVerificationError && err.code === 'ERR_TOKENVEND_TOKEN_EXPIRED') refresh();
 *   else throw err;
 * }
 */
export class TokenVerificationError extends Error {
  override readonly name = 'TokenVerificationError';
  /** For `ERR_TOKENVEND_CLAIM_INVALID`: the claim that failed. */
  readonly claim: string | undefined;

  constructor(
    readonly code: TokenVerificationErrorCode,
    message: string,
    options: { cause?: unknown; claim?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.claim = options.claim;
  }

  /** True when the token was not the problem (keys or discovery unavailable): answer 503, not 401. */
  get unavailable(): boolean {
    return this.code === 'ERR_TOKENVEND_JWKS_UNAVAILABLE' || this.code === 'ERR_TOKENVEND_DISCOVERY_FAILED';
  }
}

/**
 * A verifier option is missing or malformed; thrown at construction, never per token.
 *
 * @example
 * createVerifier({ jwksUri: 'not a url' }); // throws VerifierConfigError, option === 'jwksUri'
 */
export class VerifierConfigError extends TypeError {
  override readonly name = 'VerifierConfigError';
  readonly code = 'ERR_TOKENVEND_VERIFIER_CONFIG';

  constructor(
    /** The option at fault, e.g. `algorithms`. */
    readonly option: string,
    message: string,
  ) {
    super(`tokenvend/verify: "${option}" ${message}`);
  }
}
