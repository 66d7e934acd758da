import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express from 'express';
import request from 'supertest';
import { createErrorRenderer } from '../../src/http/create-app.js';
import { createDocsRoute, DOCS_FILE, finishDocsPage, inlineScriptHashes } from '../../src/http/routes/docs.js';
import { matchesEtag } from '../../src/http/etag.js';
import { createOpenApiRoute, OPENAPI_FILE } from '../../src/http/routes/openapi.js';
import { createLogger } from '../../src/logging/create-logger.js';
import { buildApp, type TestApp } from '../support/build-app.js';
import { callersJson, testCaller } from '../support/callers.js';
import { p256Key } from '../support/keys.js';
import { expectToMatchSpec } from '../support/openapi-contract.js';

const API_POLICY = "default-src 'none';frame-ancestors 'none'";
const MISSING = new URL('./no-such-dir/index.html', import.meta.url);

// An element's text runs to the first `</script`; the test extracts them on its own, not with the route's code.
function inlineScripts(html: string): Array<{ attributes: string; text: string }> {
  return [...html.matchAll(/<script(\s[^>]*)?>([\s\S]*?)<\/script\s*>/gi)].map(([, attributes = '', text = '']) => ({ attributes, text }));
}

/** The page without its scripts' text, whose string literals are not markup. */
function markupOf(html: string): string {
  return html.replace(/(<script(?:\s[^>]*)?>)[\s\S]*?<\/script\s*>/gi, '$1</script>');
}

/** Every URL the markup makes the browser load: resource attributes of elements other than links, and CSS url() / @import. */
function loadedUrls(html: string): string[] {
  const markup = markupOf(html);
  const fromAttributes = [...markup.matchAll(/<([a-z][a-z0-9-]*)\b([^>]*)>/gi)].flatMap(([, element = '', attributes = '']) =>
    element.toLowerCase() === 'a'
      ? []
      : [...attributes.matchAll(/\b(?:src|href|srcset|poster|data|action|formaction|xlink:href)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi)].map(
          ([, double, single, bare]) => double ?? single ?? bare ?? '',
        ),
  );
  const fromCss = [...markup.matchAll(/url\(\s*["']?([^"')]*)/gi), ...markup.matchAll(/@import\s+(?:url\()?\s*["']?([^"');\s]*)/gi)].map(([, url = '']) => url);
  return [...fromAttributes, ...fromCss];
}

const web = testCaller('web-backend');

describe('GET /docs', () => {
  let t: TestApp;
  let html: string;
  beforeAll(async () => {
    if (!existsSync(DOCS_FILE)) throw new Error(`${fileURLToPath(DOCS_FILE)} is missing: run npm run build first`);
    html = finishDocsPage(readFileSync(DOCS_FILE, 'utf8'));
    t = await buildApp({ NODE_ENV: 'production', PRIVATE_KEY: p256Key().pkcs8, CALLERS: callersJson(web) });
  });
  afterAll(() => t.close());

  it('answers 200 text/html with the page the build rendered', async () => {
    const res = await request(t.app).get('/docs').expect(200);
    expectToMatchSpec('GET', '/docs', res);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toBe(html);
    expect(res.text).toMatch(/^<!DOCTYPE html>/);
    expect(res.text).toContain('<title>tokenvend</title>');
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(t.logs.filter((line) => line.event === 'docs.missing')).toEqual([]);
  });

  it('has an icon of its own, so the browser asks for no /favicon.ico', () => {
    expect(markupOf(html)).toMatch(/<head><link rel="icon" href="data:,">/);
  });

  it("keeps Redoc's attribution without its CDN logo, which the page policy would block", () => {
    const raw = readFileSync(DOCS_FILE, 'utf8');
    expect(raw).toContain('https://cdn.redoc.ly/redoc/logo-mini');
    expect(html).not.toContain('cdn.redoc.ly');
    expect(html).toContain('data:image/svg+xml,');
  });

  it('lists the servers as this instance, not a fixed demo address; PUBLIC_URL where it is set', async () => {
    expect(html).not.toContain('http://127.0.0.1:8080');
    expect(html).toContain('"servers":[{"url":"/"');
    const behindProxy = await buildApp({ NODE_ENV: 'production', PRIVATE_KEY: p256Key().pkcs8, CALLERS: callersJson(web), PUBLIC_URL: 'https://tokens.example.com/' });
    const res = await request(behindProxy.app).get('/docs').expect(200);
    expect(res.text).toContain('"servers":[{"url":"https://tokens.example.com"');
    await behindProxy.close();
  });

  it('loads nothing from another host: no script src, no external stylesheet, font or image, no Google Fonts', () => {
    const scripts = inlineScripts(html);
    expect(scripts.length).toBeGreaterThan(0);
    expect(scripts.filter(({ attributes }) => /\bsrc\s*=/i.test(attributes))).toEqual([]);
    const urls = loadedUrls(html);
    expect(urls.filter((url) => /^\s*(?:[a-z][a-z0-9+.-]*:)?\/\//i.test(url))).toEqual([]);
    expect(urls.filter((url) => !/^\s*(?:data:|#|\/(?!\/)|[^:]*$)/i.test(url))).toEqual([]);
    expect(html).not.toMatch(/fonts\.(googleapis|gstatic)\.com/);
    expect(markupOf(html)).not.toMatch(/<(?:iframe|object|embed|base)\b/i);
  });

  it('sends its own Content-Security-Policy, exactly, with the hash of every inline script and no unsafe script source', async () => {
    const hashes = inlineScripts(html).map(({ text }) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`);
    const res = await request(t.app).get('/docs').expect(200);
    expect(res.headers['content-security-policy']).toBe(
      `default-src 'none'; script-src ${[...new Set(hashes)].join(' ')}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    const scriptSrc = /(?:^|; )script-src ([^;]*)/.exec(res.headers['content-security-policy'] as string)?.[1]?.split(' ') ?? [];
    for (const hash of hashes) expect(scriptSrc).toContain(hash);
    expect(scriptSrc.every((source) => /^'sha256-[A-Za-z0-9+/]+={0,2}'$/.test(source))).toBe(true);
    expect(inlineScriptHashes(html).map((hash) => `'${hash}'`)).toEqual([...new Set(hashes)]);
  });

  it('keeps helmet\'s other headers, and the API policy everywhere else', async () => {
    const res = await request(t.app).get('/docs').expect(200);
    expect(res.headers).toMatchObject({
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'strict-transport-security': expect.stringMatching(/^max-age=\d+/),
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'referrer-policy': 'no-referrer',
    });
    expect(res.headers['x-powered-by']).toBeUndefined();
    for (const path of ['/healthz', '/openapi.yaml', '/nope']) {
      expect((await request(t.app).get(path)).headers['content-security-policy']).toBe(API_POLICY);
    }
    expect((await request(t.app).post('/docs')).headers['content-security-policy']).toBe(API_POLICY);
  });

  it('answers HEAD without a body, a matching If-None-Match with 304, and other methods with 405', async () => {
    const { headers } = await request(t.app).get('/docs').expect(200);
    const etag = headers['etag'] as string;
    expect(etag).toMatch(/^"[\w-]{32}"$/);
    const head = await request(t.app).head('/docs').expect(200);
    expectToMatchSpec('HEAD', '/docs', head);
    expect(head.text).toBeUndefined();
    expect(head.headers['etag']).toBe(etag);
    const notModified = await request(t.app).get('/docs').set('If-None-Match', `"other", W/${etag}`).expect(304);
    expectToMatchSpec('GET', '/docs', notModified);
    expect(notModified.text).toBe('');
    expect(notModified.headers['etag']).toBe(etag);
    // fetch adds `Cache-Control: no-cache` to its own conditional requests; the origin still answers the condition.
    await request(t.app).get('/docs').set('If-None-Match', etag).set('Cache-Control', 'no-cache').expect(304);
    await request(t.app).get('/docs').set('If-None-Match', '"other"').expect(200);
    const post = await request(t.app).post('/docs').expect(405);
    expectToMatchSpec('POST', '/docs', post);
    expect(post.headers['allow']).toBe('GET, HEAD');
  });

  it('answers 503 problem+json, and warns once at start-up, when the page was not built', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    const app = express().get('/docs', createDocsRoute({ logger, file: MISSING })).use(createErrorRenderer(logger));
    for (let i = 0; i < 2; i += 1) {
      const res = await request(app).get('/docs').expect(503);
      expectToMatchSpec('GET', '/docs', res);
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body).toEqual({
        type: 'urn:tokenvend:problem:unavailable',
        title: 'Service unavailable',
        status: 503,
        detail: 'The API reference is not built on this instance',
        code: 'ERR_TOKENVEND_UNAVAILABLE',
        instance: '/docs',
      });
    }
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: 'warn', event: 'docs.missing', file: fileURLToPath(MISSING), code: 'ENOENT' }),
    ]);
  });
});

describe('inlineScriptHashes', () => {
  it('hashes the text of each inline script once, and skips scripts loaded by src', () => {
    const page = '<script>alert(1)</script><SCRIPT type="module">\nx()\n</SCRIPT ><script src="/a.js"></script><script>alert(1)</script>';
    expect(inlineScriptHashes(page)).toEqual([
      'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=',
      `sha256-${createHash('sha256').update('\nx()\n').digest('base64')}`,
    ]);
  });
});

describe('GET /openapi.yaml', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildApp({ NODE_ENV: 'production', PRIVATE_KEY: p256Key().pkcs8, CALLERS: callersJson(web) });
  });
  afterAll(() => t.close());

  it('serves the package\'s openapi.yaml as application/yaml, cacheable for five minutes, with an ETag', async () => {
    const res = await request(t.app).get('/openapi.yaml');
    expect(res.status).toBe(200);
    expectToMatchSpec('GET', '/openapi.yaml', res);
    expect(res.headers['content-type']).toBe('application/yaml; charset=utf-8');
    expect(res.text).toBe(readFileSync(OPENAPI_FILE, 'utf8'));
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    const etag = res.headers['etag'] as string;
    expect(etag).toMatch(/^"[\w-]{32}"$/);
    expectToMatchSpec('GET', '/openapi.yaml', await request(t.app).get('/openapi.yaml').set('If-None-Match', etag).expect(304));
    await request(t.app).get('/openapi.yaml').set('If-None-Match', '*').expect(304);
    await request(t.app).get('/openapi.yaml').set('If-None-Match', '"stale"').expect(200);
  });

  it('answers other methods with 405, and 503 when the file is not installed', async () => {
    const put = await request(t.app).put('/openapi.yaml').expect(405);
    expectToMatchSpec('PUT', '/openapi.yaml', put);
    expect(put.headers['allow']).toBe('GET, HEAD');
    const logger = createLogger('silent');
    const app = express().get('/openapi.yaml', createOpenApiRoute({ logger, file: MISSING })).use(createErrorRenderer(logger));
    const res = await request(app).get('/openapi.yaml').expect(503);
    expectToMatchSpec('GET', '/openapi.yaml', res);
    expect(res.body).toMatchObject({ code: 'ERR_TOKENVEND_UNAVAILABLE', detail: 'The OpenAPI document is not installed with this instance', instance: '/openapi.yaml' });
  });
});

describe('matchesEtag', () => {
  it.each<[string | undefined, boolean]>([
    ['"abc"', true],
    ['W/"abc"', true],
    ['"x", "abc"', true],
    ['*', true],
    ['"abcd"', false],
    ['', false],
    [undefined, false],
  ])('If-None-Match %p → %p', (header, expected) => {
    expect(matchesEtag(header, '"abc"')).toBe(expected);
  });
});
