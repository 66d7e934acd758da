/** Every verifier default in one place, with why it is what it is. */

/** Asymmetric JWS algorithms (RFC 7518 §3.1) a tokenvend key can sign with. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA',
] as const;

/** An algorithm the verifier can be told to accept. HMAC and `none` are deliberately not in it (RFC 8725 §3.1, §2.1). */
export type VerifierAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

export const DEFAULTS = Object.freeze({
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
