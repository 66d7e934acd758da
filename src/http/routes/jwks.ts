/** GET /.well-known/jwks.json: the public keys, served from the body the key ring built once. */
import type { Request, Response } from 'express';
import type { KeyRing } from '../../keys/key-ring.js';
import { matchesEtag } from '../etag.js';

/**
 * @example
 * app.get('/.well-known/jwks.json', createJwksRoute(keyRing, 300));
 */
export function createJwksRoute(keyRing: KeyRing, maxAgeSeconds: number) {
  const cacheControl = `public, max-age=${maxAgeSeconds}`;
  return function serveJwks(req: Request, res: Response): void {
    const { body, etag } = keyRing.jwks;
    res.setHeader('Cache-Control', cacheControl);
    res.setHeader('ETag', etag);
    if (matchesEtag(req.headers['if-none-match'], etag)) {
      res.status(304).end();
      return;
    }
    res.type('application/json').send(body);
  };
}
