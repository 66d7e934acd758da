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
