/** The document POST /tokens answers 201 with, built from an issued token (openapi.yaml TokenResponse). */
import type { IssuedToken } from './issue-token.js';

export interface TokenResponse {
  readonly token: string;
  readonly tokenType: 'Bearer';
  /** Seconds, `exp - iat`. */
  readonly expiresIn: number;
  /** `exp` as ISO 8601 UTC with milliseconds. */
  readonly expiresAt: string;
  readonly orgId: string;
}

/**
 * The 201 body of POST /tokens, also printed by `tokenvend mint --json`.
 *
 * @example
 * JSON.stringify(toTokenResponse(await issue({ orgId: 'org_a', ttl: 900 }), 'org_a'));
 */
export function toTokenResponse(issued: IssuedToken, orgId: string): TokenResponse {
  return {
    token: issued.token,
    tokenType: 'Bearer',
    expiresIn: issued.exp - issued.iat,
    expiresAt: new Date(issued.exp * 1000).toISOString(),
    orgId,
  };
}
