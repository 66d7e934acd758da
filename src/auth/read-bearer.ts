/** Reads the credential of an `Authorization: Bearer` header (RFC 6750 §2.1). */

// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="; the scheme is case-insensitive.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const MAX_HEADER_LENGTH = 4096;

/**
 * Returns the credential, `undefined` when there is no Authorization header, or `null` when the header is malformed.
 *
 * @example
 * readBearer('Bearer abc'); // 'abc'
 * readBearer('Basic xyz');  // null
 */
export function readBearer(header: string | undefined): string | null | undefined {
  if (header === undefined) return undefined;
  if (header.length > MAX_HEADER_LENGTH) return null;
  return BEARER.exec(header)?.[1] ?? null;
}

/**
 * For a header readBearer refused: what is wrong with its scheme, or `undefined` when the scheme is
 * Bearer (then the credential itself is malformed). A key pasted without "Bearer " is a common slip.
 *
 * @example
 * bearerSchemeProblem('tv_abc');    // 'has no scheme'
 * bearerSchemeProblem('Basic xyz'); // 'uses another scheme than Bearer'
 */
export function bearerSchemeProblem(header: string): 'has no scheme' | 'uses another scheme than Bearer' | undefined {
  const scheme = /^\s*(\S+)\s+\S/.exec(header)?.[1];
  if (scheme === undefined) return /^\s*bearer\s*$/i.test(header) ? undefined : 'has no scheme';
  return scheme.toLowerCase() === 'bearer' ? undefined : 'uses another scheme than Bearer';
}
