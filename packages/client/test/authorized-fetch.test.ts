/** TokenClient.fetch: attaches the vended token and recovers once from a 401 of the target. */

import { createTokenClient, type TokenClient } from '../src/index.js';
import { createFakeClock } from './helpers/fake-clock.js';
import { startFakeTokenService, type FakeReply, type FakeTokenService } from './helpers/fake-token-service.js';

const API_KEY = 'tvk_test_3f9a1c_secret';
const ok: FakeReply = { status: 200, headers: { 'content-type': 'text/plain' }, rawBody: 'ok' };
const unauthorized: FakeReply = { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' }, rawBody: 'expired' };

let tokenService: FakeTokenService;
/** The resource server the client calls with its tokens; it reuses the fake server's recording. */
let target: FakeTokenService;
let client: TokenClient;

beforeEach(async () => {
  tokenService = await startFakeTokenService();
  target = await startFakeTokenService();
  target.fallback = () => ok;
  const clock = createFakeClock();
  client = createTokenClient({ baseUrl: tokenService.baseUrl, apiKey: API_KEY, now: clock.now, sleep: clock.sleep, random: () => 0 });
});

afterEach(async () => {
  client.close();
  await Promise.all([tokenService.close(), target.close()]);
});

it('sends the token for orgId and tokenOptions, replacing any Authorization and keeping other headers', async () => {
  const response = await client.fetch(`${target.baseUrl}/invoices?page=2`, {
    orgId: 'org_1',
    tokenOptions: { audience: 'billing', expiresIn: 300 },
    headers: { authorization: 'Basic bm9wZQ==', 'x-trace-id': 'abc' },
  });

  expect(response.status).toBe(200);
  expect(await response.text()).toBe('ok');
  expect(tokenService.requests.map((r) => r.body)).toEqual([{ orgId: 'org_1', audience: 'billing', expiresIn: 300 }]);
  expect(target.requests).toHaveLength(1);
  expect(target.requests[0]?.path).toBe('/invoices?page=2');
  expect(target.requests[0]?.headers.authorization).toBe(`Bearer ${tokenService.issued[0]}`);
  expect(target.requests[0]?.headers['x-trace-id']).toBe('abc');
});

it('reuses the cached token across calls', async () => {
  await client.fetch(`${target.baseUrl}/a`, { orgId: 'org_1' });
  await client.fetch(`${target.baseUrl}/b`, { orgId: 'org_1' });

  expect(tokenService.requests).toHaveLength(1);
  expect(target.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${tokenService.issued[0]}`, `Bearer ${tokenService.issued[0]}`]);
});

it('on a 401 gets a new token and sends the same request once more', async () => {
  target.queue.push(unauthorized);
  const response = await client.fetch(`${target.baseUrl}/invoices`, {
    orgId: 'org_1',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ amount: 42 }),
  });

  expect(response.status).toBe(200);
  expect(tokenService.requests).toHaveLength(2);
  expect(target.requests.map((r) => [r.method, r.headers.authorization, r.body])).toEqual([
    ['POST', `Bearer ${tokenService.issued[0]}`, { amount: 42 }],
    ['POST', `Bearer ${tokenService.issued[1]}`, { amount: 42 }],
  ]);
});

it('returns the second 401 instead of retrying again', async () => {
  target.fallback = () => unauthorized;
  const response = await client.fetch(`${target.baseUrl}/invoices`, { orgId: 'org_1' });

  expect(response.status).toBe(401);
  expect(await response.text()).toBe('expired');
  expect(target.requests).toHaveLength(2);
  expect(tokenService.requests).toHaveLength(2);
});

it.each([
  ['URLSearchParams', () => new URLSearchParams({ a: '1' }), 'a=1'],
  ['Uint8Array', () => new TextEncoder().encode('bytes'), 'bytes'],
  ['ArrayBuffer', () => new TextEncoder().encode('buffer').buffer, 'buffer'],
])('replays a %s body', async (_, makeBody, sent) => {
  target.queue.push(unauthorized);
  await client.fetch(`${target.baseUrl}/upload`, { method: 'PUT', body: makeBody() });

  expect(target.requests.map((r) => r.body)).toEqual([sent, sent]);
});

it('does not retry a streamed body, but still drops the rejected token', async () => {
  target.queue.push(unauthorized);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('streamed'));
      controller.close();
    },
  });
  const response = await client.fetch(`${target.baseUrl}/upload`, { orgId: 'org_1', method: 'PUT', body, duplex: 'half' } as RequestInit & { orgId: string });

  expect(response.status).toBe(401);
  expect(await response.text()).toBe('expired');
  expect(target.requests).toHaveLength(1);
  expect(target.requests[0]?.body).toBe('streamed');

  expect(await client.getToken('org_1')).toBe(tokenService.issued[1]);
  expect(tokenService.requests).toHaveLength(2);
});

it('keeps the headers of a Request input and retries a body-less Request', async () => {
  target.queue.push(unauthorized);
  const request = new Request(`${target.baseUrl}/reports`, { headers: { 'x-trace-id': 'req-1' } });
  const response = await client.fetch(request, { orgId: 'org_1' });

  expect(response.status).toBe(200);
  expect(target.requests.map((r) => [r.headers['x-trace-id'], r.headers.authorization])).toEqual([
    ['req-1', `Bearer ${tokenService.issued[0]}`],
    ['req-1', `Bearer ${tokenService.issued[1]}`],
  ]);
});

it('does not retry a Request input that carries its own body', async () => {
  target.queue.push(unauthorized);
  const request = new Request(`${target.baseUrl}/reports`, { method: 'POST', body: 'payload' });
  const response = await client.fetch(request);

  expect(response.status).toBe(401);
  expect(target.requests).toHaveLength(1);
});

it('passes other statuses through untouched', async () => {
  target.queue.push({ status: 403, rawBody: 'nope' });
  const response = await client.fetch(`${target.baseUrl}/x`);

  expect(response.status).toBe(403);
  expect(target.requests).toHaveLength(1);
  expect(tokenService.requests).toHaveLength(1);
});

it('uses the injected fetch for the token service and the target', async () => {
  const seen: string[] = [];
  client.close();
  client = createTokenClient({
    baseUrl: tokenService.baseUrl,
    apiKey: API_KEY,
    fetch: (input, init) => {
      seen.push(String(input));
      return fetch(input, init);
    },
  });
  await client.fetch(`${target.baseUrl}/x`);

  expect(seen).toEqual([`${tokenService.baseUrl}/tokens`, `${target.baseUrl}/x`]);
});
