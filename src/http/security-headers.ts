/** helmet, set for a JSON API: nothing here is ever rendered, framed or allowed to load anything. */
import helmet from 'helmet';

/**
 * The API's security headers. The content security policy is the one OWASP recommends for APIs
 * (`default-src 'none'; frame-ancestors 'none'`): shorter than a page's policy, and stricter.
 *
 * @example
 * app.use(apiSecurityHeaders());
 */
export function apiSecurityHeaders() {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    xFrameOptions: { action: 'deny' },
  });
}
