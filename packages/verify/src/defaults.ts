/** Every verifier default in one place, with why it is what it is. */

/** Asymmetric JWS algorithms (RFC 7518 §3.1) a tokenvend key can sign with. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA',
] as const;

/** An algorithm the verifier can be told to accept. HMAC and `none` are deliberately not in it (RFC 8725 §3.1, §2.1). */
export type VerifierAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

/** JWT `typ` header values (RFC 7515 §4.1.9) a verifier can require: tokenvend's own, and RFC 9068's access tokens. */
export const TOKEN_TYPES = ['JWT', 'at+jwt'] as const;

/** A `typ` the verifier can be told to require. */
export type TokenType = (typeof TOKEN_TYPES)[number];

export const DEFAULTS = Object.freeze({
  /**
   * `POST /tokens` signs `typ: JWT`, the OAuth endpoint `typ: at+jwt` (RFC 9068 §2.1): both are tokenvend's,
   * so both pass unless one is required. Any other or no `typ` is refused (RFC 8725 §3.11, explicit typing).
   */
  typ: TOKEN_TYPES,
  /** Every asymmetric algorithm: the key's own `alg` in the JWKS still pins each key to one of them. */
  algorithms: ASYMMETRIC_ALGORITHMS,
  /** Seconds of clock skew tolerated on `exp` and `nbf`; tokens live minutes, so 30 s is lenient enough. */
  clockToleranceSeconds: 30,
  /** Minimum ms between JWKS refetches caused by an unknown `kid`, so junk tokens cannot hammer the issuer. */
  jwksCooldownMs: 30_000,
  /** Ms a fetched JWKS is trusted before it is refetched, so retired keys eventually drop out. */
  jwksCacheMaxAgeMs: 600_000,
  /** Ms allowed for each discovery or JWKS HTTP request. */
  timeoutMs: 5_000,
});
