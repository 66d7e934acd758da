/**
 * GET /.well-known/openid-configuration: enough of OpenID Connect Discovery 1.0 §3 for OIDC-aware
 * verifiers (jose's createRemoteJWKSet via the issuer, API gateways' JWT filters) to find the keys.
 */
import type { Request, Response } from 'express';
import type { KeyRing } from '../../keys/key-ring.js';

export interface DiscoveryOptions {
  readonly issuer: string;
  /** PUBLIC_URL; else the issuer when it is a URL; else the URL the request came in on. */
  readonly publicUrl: string | undefined;
}

/**
 * @example
 * app.get('/.well-known/openid-configuration', createDiscoveryRoute(keyRing, { issuer, publicUrl }));
 */
export function createDiscoveryRoute(keyRing: KeyRing, { issuer, publicUrl }: DiscoveryOptions) {
  const configuredBase = publicUrl ?? (/^https?:\/\//.test(issuer) ? issuer.replace(/\/+$/, '') : undefined);
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
          id_token_signing_alg_values_supported: algorithms,
        }),
      };
    }
    // Built from the request's Host header, the document must not be shared by caches: a forged Host would poison them.
    res.setHeader('Cache-Control', configuredBase === undefined ? 'no-store' : 'public, max-age=300');
    res.type('application/json').send(cached.body);
  };
}
