/** RFC 6750 §2.1: reads the bearer token out of an `Authorization` header. */

// RFC 7235 §2.1: the auth-scheme is case-insensitive and separated from its credentials by spaces.
const BEARER_SCHEME = /^bearer(?:[ \t]+|$)/i;

/**
 * Returns the credentials after `Bearer`, or `undefined` when the header is absent or uses another
 * scheme. A Bearer header with empty or malformed credentials still counts as a presented token:
 * it yields a string that fails verification, so the answer carries `error="invalid_token"`.
 *
 * @example
 * readBearerToken('bearer eyJ...'); // 'eyJ...'
 * readBearerToken('Basic dXNlcg=='); // undefined
 */
export function readBearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const scheme = BEARER_SCHEME.exec(authorization);
  return scheme ? authorization.slice(scheme[0].length).trim() : undefined;
}
