/** Conditional GET (RFC 9110 §13.1.2) for the documents served with an ETag: JWKS, spec, docs. */

/**
 * RFC 9110 §13.1.2: a weak comparison against each listed tag, or `*`. Not Express's `req.fresh`,
 * which also ignores the condition when the request says `Cache-Control: no-cache` (as fetch does
 * whenever it sends `If-None-Match` itself): that directive is for caches, and this is the origin.
 *
 * @example
 * matchesEtag('W/"abc", "def"', '"abc"'); // true
 */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === etag || tag === '*');
}
