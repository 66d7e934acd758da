/** Retries of the token client: Retry-After, backoff, deadline, timeouts and network errors. */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { createTokenClient, TokenClientError, type TokenClient, type TokenClientOptions } from '../src/index.js';
import { isRetryable } from '../src/request-with-retry.js';
import { createFakeClock, type FakeClock } from './helpers/fake-clock.js';
import { problemReply, startFakeTokenService, type FakeTokenService } from './helpers/fake-token-service.js';

const API_KEY = 'tvk_test_3f9a1c_secret';
const rateLimited = (retryAfter: string, extra: Record<string, string> = {}) =>
  problemReply(429, 'Too Many Requests', 'ERR_TOKENVEND_RATE_LIMITED', 'limit of 10 per minute reached', {
    'retry-after': retryAfter,
    ratelimit: '"per-caller";r=0;t=' + retryAfter,
    'ratelimit-policy': '"per-caller";q=10;w=60',
    ...extra,
  });
const unavailable = (retryAfter = '0') =>
  problemReply(503, 'Service Unavailable', 'ERR_TOKENVEND_UNAVAILABLE', 'signing key not ready', { 'retry-after': retryAfter });

const lateToken = {
  status: 201,
  headers: { 'content-type': 'application/json' },
  body: { token: 'late.token.value', tokenType: 'Bearer', expiresIn: 600, expiresAt: '2025-01-01T00:10:00.000Z', orgId: 'org_1' },
};

let service: FakeTokenService;
let clock: FakeClock;
let client: TokenClient | undefined;

/** random 0.5 → backoff waits of 150, 300, 600 ms (initial 200 ms, equal jitter). */
function makeClient(overrides: Partial<TokenClientOptions> = {}): TokenClient {
  client = createTokenClient({ baseUrl: service.baseUrl, apiKey: API_KEY, now: clock.now, sleep: clock.sleep, random: () => 0.5, ...overrides });
  return client;
}

beforeEach(async () => {
  service = await startFakeTokenService();
  clock = createFakeClock();
});

afterEach(async () => {
  client?.close();
  client = undefined;
  await service.close();
});

describe('Retry-After', () => {
  it('waits exactly Retry-After delta-seconds after a 429, then succeeds', async () => {
    service.queue.push(rateLimited('1'));
    const token = await makeClient().getToken('org_1');

    expect(token).toBe(service.issued[0]);
    expect(service.requests).toHaveLength(2);
    expect(clock.sleeps).toEqual([1000]);
  });

  it('reads an HTTP-date Retry-After against the response Date header', async () => {
    service.queue.push(rateLimited('Wed, 01 Jan 2025 00:00:03 GMT', { date: 'Wed, 01 Jan 2025 00:00:00 GMT' }));
    await makeClient().getToken('org_1');

    expect(clock.sleeps).toEqual([3000]);
  });

  it('waits for real, honouring a short Retry-After with the default sleep', async () => {
    service.queue.push(rateLimited('1'));
    const started = performance.now();
    await createTokenClient({ baseUrl: service.baseUrl, apiKey: API_KEY, random: () => 0.5 }).getToken('org_1');
    const elapsed = performance.now() - started;

    expect(service.requests).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(990);
    expect(elapsed).toBeLessThan(1500);
  });
});

describe('backoff', () => {
  it('retries 503 with exponential backoff when Retry-After is 0', async () => {
    service.queue.push(unavailable(), unavailable());
    const token = await makeClient().getToken('org_1');

    expect(token).toBe(service.issued[0]);
    expect(service.requests).toHaveLength(3);
    expect(clock.sleeps).toEqual([150, 300]);
  });

  it.each([502, 504])('retries %i', async (status) => {
    service.queue.push({ status, headers: { 'content-type': 'text/html' }, rawBody: '<h1>gateway</h1>' });
    await makeClient().getToken('org_1');

    expect(service.requests).toHaveLength(2);
    expect(clock.sleeps).toEqual([150]);
  });

  it('does not retry 500', async () => {
    service.queue.push(problemReply(500, 'Internal Server Error', 'ERR_TOKENVEND_INTERNAL', 'An internal error occurred'));
    await expect(makeClient().getToken('org_1')).rejects.toMatchObject({ status: 500, code: 'ERR_TOKENVEND_INTERNAL' });
    expect(service.requests).toHaveLength(1);
  });

  it('throws the last error when maxRetries runs out', async () => {
    service.fallback = () => unavailable();
    const error = (await makeClient({ maxRetries: 2 }).getToken('org_1').catch((e: unknown) => e)) as TokenClientError;

    expect(error).toBeInstanceOf(TokenClientError);
    expect(error.code).toBe('ERR_TOKENVEND_UNAVAILABLE');
    expect(error.status).toBe(503);
    expect(service.requests).toHaveLength(3);
    expect(clock.sleeps).toEqual([150, 300]);
  });
});

describe('deadline', () => {
  it('fails at once when Retry-After lies beyond the deadline', async () => {
    service.queue.push(rateLimited('3'));
    const error = (await makeClient({ deadlineMs: 2000 }).getToken('org_1').catch((e: unknown) => e)) as TokenClientError;

    expect(error).toBeInstanceOf(TokenClientError);
    expect(error.code).toBe('ERR_TOKENVEND_CLIENT_DEADLINE_EXCEEDED');
    expect(error.message).toBe(
      'No token within the 2000 ms deadline; last attempt: Token service answered 429 Too Many Requests: limit of 10 per minute reached (ERR_TOKENVEND_RATE_LIMITED)',
    );
    expect(error.status).toBe(429);
    expect(error.retryAfterMs).toBe(3000);
    expect(error.problem).toEqual({
      type: 'https://tokenvend.dev/problems/ERR_TOKENVEND_RATE_LIMITED',
      title: 'Too Many Requests',
      status: 429,
      detail: 'limit of 10 per minute reached',
      code: 'ERR_TOKENVEND_RATE_LIMITED',
    });
    expect((error.cause as TokenClientError).code).toBe('ERR_TOKENVEND_RATE_LIMITED');
    expect(service.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('stops when the accumulated waits would pass the deadline', async () => {
    service.fallback = () => unavailable();
    const error = (await makeClient({ deadlineMs: 1000, maxRetries: 10 }).getToken('org_1').catch((e: unknown) => e)) as TokenClientError;

    // 150 + 300 = 450 ms waited; the next wait (600 ms) would end at 1050 ms > 1000 ms.
    expect(error.code).toBe('ERR_TOKENVEND_CLIENT_DEADLINE_EXCEEDED');
    expect(error.status).toBe(503);
    expect(service.requests).toHaveLength(3);
    expect(clock.sleeps).toEqual([150, 300]);
  });
});

describe('timeouts and network errors', () => {
  it('aborts an attempt after timeoutMs', async () => {
    service.queue.push('hang');
    const started = performance.now();
    const error = (await makeClient({ timeoutMs: 50, maxRetries: 0 }).getToken('org_1').catch((e: unknown) => e)) as TokenClientError;

    expect(error).toBeInstanceOf(TokenClientError);
    expect(error.code).toBe('ERR_TOKENVEND_CLIENT_TIMEOUT');
    expect(error.message).toBe('Token request timed out after 50 ms');
    expect(error.status).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it.each([
    ['status line', { delayMs: 500 }],
    ['body', { bodyDelayMs: 500 }],
  ])('retries an attempt whose %s is late', async (_, delay) => {
    service.queue.push({ ...lateToken, ...delay });
    const token = await makeClient({ timeoutMs: 100, maxRetries: 1 }).getToken('org_1');

    expect(token).toBe(service.issued[0]);
    expect(service.requests).toHaveLength(2);
    expect(clock.sleeps).toEqual([150]);
  });

  it('retries a refused connection and then reports ERR_TOKENVEND_CLIENT_NETWORK', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const error = (await makeClient({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 1 }).getToken('org_1').catch((e: unknown) => e)) as TokenClientError;

    expect(error).toBeInstanceOf(TokenClientError);
    expect(error.code).toBe('ERR_TOKENVEND_CLIENT_NETWORK');
    expect(error.message).toBe('Could not reach the token service (ECONNREFUSED)');
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(API_KEY);
    expect(clock.sleeps).toEqual([150]);
  });
});

describe('isRetryable', () => {
  it.each([
    ['ERR_TOKENVEND_CLIENT_NETWORK', undefined, true],
    ['ERR_TOKENVEND_CLIENT_TIMEOUT', undefined, true],
    ['ERR_X', 429, true],
    ['ERR_X', 503, true],
    ['ERR_X', 400, false],
    ['ERR_X', 401, false],
    ['ERR_X', 500, false],
    ['ERR_TOKENVEND_CLIENT_BAD_RESPONSE', 201, false],
  ] as const)('%s / %s → %s', (code, status, expected) => {
    expect(isRetryable(new TokenClientError(code, 'x', { status }))).toBe(expected);
  });
});
