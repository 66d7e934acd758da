/**
 * GET /docs: the API reference that `npm run build` renders from openapi.yaml (Redocly's build-docs,
 * scripts inlined), served under a page policy that lets in nothing but the page's own scripts.
 */
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { UnavailableError } from '../../errors/service-error.js';
import type { Logger } from '../../logging/create-logger.js';
import { readShippedDocument, sendShippedDocument } from './openapi.js';

/** Where the build writes the page: dist/docs/, reached from both src/http/routes and dist/http/routes. */
export const DOCS_FILE = new URL('../../../dist/docs/index.html', import.meta.url);

/** The page changes only with a deployment. */
const CACHE_CONTROL = 'public, max-age=300';

// A script element's text runs to the first `</script` (the HTML tokenizer's script data state), and that text is what
// the browser hashes. A page that fooled this (`<!--<script>` in a script) would have a script blocked, never one let in.
const SCRIPT_ELEMENT = /<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi;

/**
 * The policy of the reference page. Like the API's (`default-src 'none'; frame-ancestors 'none'`),
 * it allows nothing by default; it adds what Redoc needs, and same-origin loads at most:
 * - its inline scripts, each by its hash (CSP3 §8.3), never `'unsafe-inline'` or `'unsafe-eval'`
 *   (without eval, Redoc's search probe falls back to the main thread, so no worker is needed);
 * - `'unsafe-inline'` styles: styled-components inserts `<style>` elements at run time;
 * - data: images and fonts (CSS backgrounds are data: SVGs, the tree icons a data: WOFF).
 * `base-uri` and `form-action` do not fall back to `default-src`, so they are closed explicitly.
 *
 * @example
 * contentSecurityPolicy(['sha256-…']);
 * // "default-src 'none'; script-src 'sha256-…'; style-src 'self' 'unsafe-inline'; …"
 */
export function contentSecurityPolicy(scriptHashes: readonly string[]): string {
  return [
    "default-src 'none'",
    `script-src ${scriptHashes.map((hash) => `'${hash}'`).join(' ') || "'none'"}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The `sha256-<base64>` source of every inline script of a page. A script with a `src` is not
 * hashed: the policy does not let it load, and the test of the page refuses it.
 *
 * @example
 * inlineScriptHashes('<script>alert(1)</script>'); // ['sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=']
 */
export function inlineScriptHashes(html: string): string[] {
  const hashes = new Set<string>();
  for (const [, attributes = '', text = ''] of html.matchAll(SCRIPT_ELEMENT)) {
    if (/\bsrc\s*=/i.test(attributes)) continue;
    hashes.add(`sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`);
  }
  return [...hashes];
}

/** Redoc's attribution loads its logo from a CDN, which the page's policy (rightly) blocks: a data: wordmark instead. */
const REDOCLY_LOGOS = /https:\/\/cdn\.redoc\.ly\/redoc\/logo-mini(?:-full)?\.svg/g;
const REDOCLY_WORDMARK = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" width="60" height="16" viewBox="0 0 60 16"><text x="0" y="12" font-family="sans-serif" font-size="12" fill="#3b3b3b">Redocly</text></svg>',
)}`;
/** Without an icon link, browsers ask for /favicon.ico, a 404 here. */
const EMPTY_ICON = '<link rel="icon" href="data:,">';

/**
 * The page as served: Redoc's CDN logo replaced by an inline wordmark (the attribution stays, its
 * image no longer breaks the page policy), an empty icon so that no /favicon.ico is requested, and
 * the instance's public address (PUBLIC_URL, or an http(s) TOKEN_ISSUER) as its server when known.
 *
 * @example
 * finishDocsPage(readFileSync(DOCS_FILE, 'utf8'));
 */
export function finishDocsPage(html: string, serverUrl?: string): string {
  const page = html.replace(REDOCLY_LOGOS, REDOCLY_WORDMARK).replace(/<head>/i, (head) => `${head}${EMPTY_ICON}`);
  // openapi.yaml's one server is "/", this instance; where the instance knows its public address, the page says it.
  if (serverUrl === undefined) return page;
  // Twice: in the spec the page hydrates from, and in the markup it was prerendered as (the browser test checks the result).
  return page
    .replace('"servers":[{"url":"/"', () => `"servers":[{"url":${JSON.stringify(serverUrl)}`)
    .replace(PRERENDERED_SERVER, (_match, before: string, after: string) => `${before}${escapeHtml(serverUrl)}${after}`);
}

/** The server's URL as Redoc prerenders it, right after the server's description (openapi.yaml). */
const PRERENDERED_SERVER = /(This tokenvend instance \(the address this document was served from\)\.<\/span><\/div><div[^>]*><div[^>]*>)\/(<\/div>)/;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

export interface DocsRouteOptions {
  readonly logger: Logger;
  /** The address consumers reach this instance at, shown as the API's server. */
  readonly serverUrl?: string | undefined;
  /** Where the rendered page is; the build's unless given. */
  readonly file?: URL;
}

/**
 * @example
 * app.get('/docs', createDocsRoute({ logger }));
 */
export function createDocsRoute({ logger, serverUrl, file = DOCS_FILE }: DocsRouteOptions) {
  const page = readShippedDocument(file, logger, 'docs.missing', (html) => finishDocsPage(html, serverUrl));
  // Hashed once: the page cannot change while the process runs.
  const served = page && { page, policy: contentSecurityPolicy(inlineScriptHashes(page.text)) };

  return function serveDocs(req: Request, res: Response): void {
    if (served === undefined) throw new UnavailableError('The API reference is not built on this instance');
    // Replaces helmet's API policy for this one response; every other helmet header stays.
    res.setHeader('Content-Security-Policy', served.policy);
    sendShippedDocument(req, res, served.page, 'text/html', CACHE_CONTROL);
  };
}
