/** What a loaded signing key is: its algorithm, id, public view, and a signing function chosen once. */
import type { KeyObject, SignKeyObjectInput } from 'node:crypto';

/** How an asymmetric key signs: the arguments of `crypto.sign` (no digest for EdDSA). */
export interface SignParams {
  readonly digest: string | null;
  readonly key: SignKeyObjectInput & { readonly key: KeyObject };
}

/** A public JWK, built from an allow-list of members so that private members cannot leak. */
export interface PublicJwk {
  readonly kty: 'RSA' | 'EC' | 'OKP';
  readonly kid: string;
  readonly alg: string;
  readonly use: 'sig';
  readonly crv?: string;
  readonly x?: string;
  readonly y?: string;
  readonly n?: string;
  readonly e?: string;
}

export interface SigningKey {
  readonly alg: string;
  /** Absent only for an HMAC key without KEY_ID. */
  readonly kid: string | undefined;
  /** base64url of the JWS protected header, encoded once (RFC 7515 §7.1). */
  readonly encodedHeader: string;
  /** Absent for an HMAC key: a secret is never published. */
  readonly publicJwk: PublicJwk | undefined;
  /**
   * Signs a JWS signing input (RFC 7515 §5.1) and resolves to the base64url signature: RSA on
   * libuv's thread pool, EC and EdDSA on the signing thread when there is one, HMAC (and EC and
   * EdDSA without a signing thread) in batches on the event loop.
   */
  readonly sign: (signingInput: string) => Promise<string>;
  /** True from a failed signature until the next one succeeds: /readyz then probes the key (routes/health.ts). */
  readonly failing: boolean;
}

/** The signer could not sign this time, and a retry a moment later may succeed (its thread stopped). */
export class SignerUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SignerUnavailableError';
  }
}
