/**
 * Wire types of the token service's `POST /tokens` contract.
 *
 * Hand-written for now; they will be generated from openapi.yaml later, and the names
 * `TokenRequest`, `TokenResponse` and `Problem` are part of the public client API.
 */

/** Body of `POST /tokens`. Every member is optional: an empty body asks for the caller's default org. */
export interface TokenRequest {
  /** Org the token is issued for; omitted means the caller's default org. */
  orgId?: string;
  /** Requested lifetime: integer seconds, or a duration string such as `"15m"`. The server may cap it. */
  expiresIn?: number | string;
  /** `aud` claim of the token. */
  audience?: string;
}

/** Body of a `201 Created` answer to `POST /tokens`. */
export interface TokenResponse {
  /** The compact JWS. */
  token: string;
  tokenType: 'Bearer';
  /** Lifetime in seconds, counted from issuance. */
  expiresIn: number;
  /** Expiry as an ISO-8601 UTC timestamp (server clock). */
  expiresAt: string;
  /** Org the token was issued for (resolved when the request omitted it). */
  orgId: string;
}

/** RFC 9457 problem document (`application/problem+json`) sent with every error status. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Stable machine-readable error code, e.g. `ERR_TOKENVEND_ORG_FORBIDDEN`. */
  code: string;
  instance?: string;
  /** RFC 9457 §3.2 allows extension members. */
  [extension: string]: unknown;
}
