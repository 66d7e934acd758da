/** The one rule for the service's public base URL, which discovery, the OAuth door and /docs all name. */

/**
 * PUBLIC_URL when it is set; else TOKEN_ISSUER when that is an http(s) URL (trailing slashes dropped);
 * else undefined, and a route that needs an absolute URL takes the one the request came in on (and
 * must then keep caches from sharing its answer, since a forged Host would poison them).
 *
 * @example
 * publicBaseUrl(undefined, 'https://tokens.example/'); // 'https://tokens.example'
 * publicBaseUrl('https://tokens.internal', 'tokenvend'); // 'https://tokens.internal'
 * publicBaseUrl(undefined, 'tokenvend'); // undefined
 */
export function publicBaseUrl(publicUrl: string | undefined, issuer: string | undefined): string | undefined {
  if (publicUrl !== undefined) return publicUrl;
  return issuer !== undefined && /^https?:\/\//.test(issuer) ? issuer.replace(/\/+$/, '') : undefined;
}
