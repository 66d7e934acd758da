/**
 * What Node's HTTP parser refuses before Express runs is answered like every other error: a
 * problem+json document with a stable code, and the connection closed. Without the handlers,
 * Node writes a bare "HTTP/1.1 400 Bad Request" (or 431, 417) with no body.
 */
import { buildApp, type TestApp } from '../support/build-app.js';
import { callersJson, testCaller } from '../support/callers.js';
import { p256Key } from '../support/keys.js';
import { openRaw, parseResponse, within } from '../support/raw-http.js';
import { serveOnLoopback, type ServedApp } from '../support/serve-app.js';

const web = testCaller('web-backend');
let t: TestApp;
let served: ServedApp;
let port: number;

beforeAll(async () => {
  t = await buildApp({ NODE_ENV: 'production', PRIVATE_KEY: p256Key().pkcs8, CALLERS: callersJson(web), ORG_ID: 'org_a' });
  served = await serveOnLoopback(t.app);
  port = Number(new URL(served.base).port);
});
afterAll(async () => {
  await served.close();
  await t.close();
});

/** Sends raw bytes and resolves with the answer once the server has closed the connection. */
async function exchange(bytes: Buffer | string) {
  const connection = await openRaw(port);
  try {
    connection.socket.write(bytes);
    return parseResponse(await within(connection.closed, 3000, 'the server closing the connection'));
  } finally {
    connection.socket.destroy();
  }
}

describe('parser-level rejections', () => {
  it.each<[string, Buffer | string, number, string, string, string]>([
    ['a non-ASCII path', Buffer.from('GET /\xe9 HTTP/1.1\r\nHost: tokenvend\r\n\r\n', 'latin1'), 400, 'invalid-request', 'Invalid request', 'ERR_TOKENVEND_INVALID_REQUEST'],
    ['a malformed request line', 'NONSENSE\r\n\r\n', 400, 'invalid-request', 'Invalid request', 'ERR_TOKENVEND_INVALID_REQUEST'],
    ['a header without a colon', 'GET /healthz HTTP/1.1\r\nHost: tokenvend\r\nBroken header\r\n\r\n', 400, 'invalid-request', 'Invalid request', 'ERR_TOKENVEND_INVALID_REQUEST'],
    ['headers over the parser limit', `GET /healthz HTTP/1.1\r\nHost: tokenvend\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers-too-large', 'Request header fields too large', 'ERR_TOKENVEND_HEADERS_TOO_LARGE'],
    ['an HTTP/1.1 request without Host', 'POST /tokens HTTP/1.1\r\nContent-Length: 0\r\n\r\n', 400, 'invalid-request', 'Invalid request', 'ERR_TOKENVEND_INVALID_REQUEST'],
    ['an Expect other than 100-continue', 'POST /tokens HTTP/1.1\r\nHost: tokenvend\r\nExpect: the-unexpected\r\nContent-Length: 2\r\n\r\n{}', 417, 'expectation-failed', 'Expectation failed', 'ERR_TOKENVEND_EXPECTATION_FAILED'],
  ])('%s: problem+json, a stable code, connection closed', async (_name, bytes, status, slug, title, code) => {
    const response = await exchange(bytes);
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['connection']).toBe('close');
    const problem = JSON.parse(response.body) as Record<string, unknown>;
    expect(problem).toEqual({ type: `urn:tokenvend:problem:${slug}`, title, status, detail: expect.any(String), code });
  });
});
