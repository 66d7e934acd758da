/** helmet, set for a JSON API: nothing here is ever rendered, framed or allowed to load anything. */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

export type HeaderList = ReadonlyArray<readonly [name: string, value: string]>;

/**
 * The API's helmet configuration, after OWASP's REST Security Cheat Sheet: a content security policy
 * that allows nothing (`default-src 'none'; frame-ancestors 'none'`), X-Frame-Options DENY, HSTS,
 * nosniff, and the cross-origin and referrer policies. Headers that only matter to pages in old
 * browsers (X-DNS-Prefetch-Control, X-Download-Options, X-Permitted-Cross-Domain-Policies,
 * Origin-Agent-Cluster, X-XSS-Protection) are left out: every header is paid for on every token.
 */
export function apiHelmet(): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    xFrameOptions: { action: 'deny' },
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    originAgentCluster: false,
    xXssProtection: false,
  });
}

/**
 * The headers helmet sets with that configuration. None depends on the request (no CSP nonce), so
 * helmet runs once, at start-up, against a response that records what it sets.
 *
 * @example
 * recordHeaders(apiHelmet()); // [['Content-Security-Policy', "default-src 'none';frame-ancestors 'none'"], ...]
 */
export function recordHeaders(middleware: RequestHandler): HeaderList {
  const headers: Array<[string, string]> = [];
  const recorder = {
    setHeader(name: string, value: unknown) {
      headers.push([name, String(value)]);
      return recorder;
    },
    // helmet removes X-Powered-By; the apps never send it (app.disable('x-powered-by')).
    removeHeader() {},
  };
  let finished = false;
  void middleware({ headers: {} } as Request, recorder as unknown as Response, (error?: unknown) => {
    if (error) throw error;
    finished = true;
  });
  if (!finished) throw new Error('helmet did not finish synchronously; its headers cannot be recorded');
  return headers;
}

/**
 * Sets helmet's API headers on every response: decided once, one loop per request.
 *
 * @example
 * app.use(apiSecurityHeaders());
 */
export function apiSecurityHeaders(): RequestHandler {
  const headers = recordHeaders(apiHelmet());
  return function setSecurityHeaders(_req: Request, res: Response, next: NextFunction): void {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}
