/**
 * GET /.well-known/openid-configuration and /.well-known/oauth-authorization-server (RFC 8414): enough
 * of OpenID Connect Discovery 1.0 §3 for OIDC-aware verifiers (jose's createRemoteJWKSet via the
 * issuer, API gateways' JWT filters) to find the keys, and for OAuth clients to find the token endpoint.
 */
import type { Request, Response } from 'express';
import { CLIENT_AUTH_METHODS } from '../../auth/caller.js';
import { publicBaseUrl } from '../../config/public-base-url.js';
import type { KeyRing } from '../../keys/key-ring.js';
import { ASSERTION_ALGORITHMS } from '../../oauth/client-assertion.js';
import { TOKEN_ENDPOINT_PATH } from './oauth-token.js';

/** Both well-known paths serve one document (RFC 8414 §3; OpenID Connect Discovery 1.0 §4). */
export const DISCOVERY_PATHS = ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'] as const;

export interface DiscoveryOptions {
  readonly issuer: string;
  /** PUBLIC_URL (see publicBaseUrl). */
  readonly publicUrl: string | undefined;
}

/**
 * @example
 * app.get(DISCOVERY_PATHS, createDiscoveryRoute(keyRing, { issuer, publicUrl }));
 */
export function createDiscoveryRoute(keyRing: KeyRing, { issuer, publicUrl }: DiscoveryOptions) {
  const configuredBase = publicBaseUrl(publicUrl, issuer);
  // Rebuilt only when the key ring changes (the JWKS ETag tells).
  let cached: { etag: string; body: string } | undefined;

  return function serveDiscovery(req: Request, res: Response): void {
    const { etag, algorithms } = keyRing.jwks;
    const base = configuredBase ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
    if (!cached || cached.etag !== etag || configuredBase === undefined) {
      cached = {
        etag,
        body: JSON.stringify({
          issuer,
          jwks_uri: `${base}/.well-known/jwks.json`,
          token_endpoint: `${base}${TOKEN_ENDPOINT_PATH}`,
          grant_types_supported: ['client_credentials'],
          token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
          token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
          // `org:<orgId>` asks for a token of that org; "org:*" stands for every such scope.
          scopes_supported: ['org:*'],
          id_token_signing_alg_values_supported: algorithms,
        }),
      };
    }
    // Built from the request's Host header, the document must not be shared by caches: a forged Host would poison them.
    res.setHeader('Cache-Control', configuredBase === undefined ? 'no-store' : 'public, max-age=300');
    res.type('application/json').send(cached.body);
  };
}
