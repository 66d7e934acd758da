/** OpenID Connect Discovery 1.0: fetch the issuer's configuration and read its `jwks_uri`. */
import { TokenVerificationError } from './errors.js';
import type { FetchLike } from './options.js';

/**
 * Fetches `discoveryUri`, checks the document's `issuer` equals `issuer` exactly (§4.3) and returns
 * its `jwks_uri`. Every failure is a `TokenVerificationError` with code `ERR_TOKENVEND_DISCOVERY_FAILED`.
 *
 * @example
 * const jwksUri = await discoverJwksUri(
 *   new URL('https://tokens.example.com/.well-known/openid-configuration'),
 *   'https://tokens.example.com',
 *   { fetch, timeoutMs: 5000 },
 * );
 */
export async function discoverJwksUri(
  discoveryUri: URL,
  issuer: string,
  http: { fetch: FetchLike; timeoutMs: number },
): Promise<URL> {
  const document = await fetchConfiguration(discoveryUri, http);
  checkIssuer(document, issuer);
  return readJwksUri(document, issuer);
}

async function fetchConfiguration(url: URL, { fetch, timeoutMs }: { fetch: FetchLike; timeoutMs: number }): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    // Redirects are not followed: the configuration must live where the issuer says (§4).
    response = await fetch(url.href, {
      method: 'GET',
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (cause) {
    throw discoveryFailed('the OpenID configuration request failed', cause);
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw discoveryFailed(`the OpenID configuration request answered ${response.status}, expected 200`);
  }
  let document: unknown;
  try {
    document = await response.json();
  } catch (cause) {
    throw discoveryFailed('the OpenID configuration is not JSON', cause);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw discoveryFailed('the OpenID configuration is not a JSON object');
  }
  return document as Record<string, unknown>;
}

/** §4.3: the issuer in the document MUST be identical to the one used for discovery, or it may be an impostor. */
function checkIssuer(document: Record<string, unknown>, issuer: string): void {
  if (document.issuer !== issuer) {
    throw discoveryFailed('the OpenID configuration names a different issuer');
  }
}

function readJwksUri(document: Record<string, unknown>, issuer: string): URL {
  const { jwks_uri: jwksUri } = document;
  if (typeof jwksUri === 'string' && URL.canParse(jwksUri)) {
    const url = new URL(jwksUri);
    // An https issuer's keys must come over https too: a downgrade would let the network swap the keys.
    if (url.protocol === 'https:' || (url.protocol === 'http:' && !issuer.startsWith('https:'))) return url;
  }
  throw discoveryFailed(issuer.startsWith('https:') ? 'the OpenID configuration has no valid https "jwks_uri"' : 'the OpenID configuration has no valid http(s) "jwks_uri"');
}

function discoveryFailed(reason: string, cause?: unknown): TokenVerificationError {
  return new TokenVerificationError('ERR_TOKENVEND_DISCOVERY_FAILED', `OpenID discovery failed: ${reason}`, { cause });
}
