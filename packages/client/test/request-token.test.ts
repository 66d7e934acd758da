/** How one token request's outcome becomes a token or a coded TokenClientError. */

import { inspect } from 'node:util';
import { createTokenClient, TokenClientError, type TokenClient } from '../src/index.js';
import { createFakeClock } from './helpers/fake-clock.js';
import { problemReply, startFakeTokenService, type FakeTokenService } from './helpers/fake-token-service.js';

const API_KEY = 'tvk_test_3f9a1c_secret';

let service: FakeTokenService;
let client: TokenClient;

beforeEach(async () => {
  service = await startFakeTokenService();
  const clock = createFakeClock();
  client = createTokenClient({ baseUrl: service.baseUrl, apiKey: API_KEY, now: clock.now, sleep: clock.sleep, random: () => 0 });
});

afterEach(async () => {
  client.close();
  await service.close();
});

async function failure(): Promise<TokenClientError> {
  const error = await client.getToken('org_x').then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TokenClientError);
  return error as TokenClientError;
}

describe('error statuses', () => {
  it.each([
    [400, 'Bad Request', 'ERR_TOKENVEND_INVALID_REQUEST', 'expiresIn must be a positive integer or a duration'],
    [401, 'Unauthorized', 'ERR_TOKENVEND_UNAUTHENTICATED', 'missing or unknown caller key'],
    [403, 'Forbidden', 'ERR_TOKENVEND_ORG_FORBIDDEN', 'caller may not act for org "org_x"'],
    [413, 'Content Too Large', 'ERR_TOKENVEND_BODY_TOO_LARGE', 'request body exceeds 4096 bytes'],
    [415, 'Unsupported Media Type', 'ERR_TOKENVEND_UNSUPPORTED_MEDIA_TYPE', 'expected application/json'],
  ])('%i → TokenClientError with status, code and problem, not retried', async (status, title, code, detail) => {
    service.queue.push(problemReply(status, title, code, detail));
    const error = await failure();

    expect(error.name).toBe('TokenClientError');
    expect(error.status).toBe(status);
    expect(error.code).toBe(code);
    expect(error.problem).toEqual({ type: `https://tokenvend.dev/problems/${code}`, title, status, detail, code });
    expect(error.message).toBe(`Token service answered ${status} ${title}: ${detail} (${code})`);
    expect(error.retryAfterMs).toBeUndefined();
    expect(service.requests).toHaveLength(1);
  });

  it('keeps a problem instance and extension members as sent', async () => {
    const body = { type: 'about:blank', title: 'Forbidden', status: 403, detail: 'no', code: 'ERR_TOKENVEND_ORG_FORBIDDEN', instance: '/tokens#req-42', orgId: 'org_x' };
    service.queue.push({ status: 403, headers: { 'content-type': 'application/problem+json' }, body });

    expect((await failure()).problem).toEqual(body);
  });

  it('maps an error status without a problem document to ERR_TOKENVEND_CLIENT_HTTP_ERROR', async () => {
    service.queue.push({ status: 404, headers: { 'content-type': 'text/html' }, rawBody: '<h1>not here</h1>' });
    const error = await failure();

    expect(error.code).toBe('ERR_TOKENVEND_CLIENT_HTTP_ERROR');
    expect(error.status).toBe(404);
    expect(error.problem).toBeUndefined();
    expect(error.message).toBe('Token service answered 404 Not Found (ERR_TOKENVEND_CLIENT_HTTP_ERROR)');
  });

  it('does not follow a redirect with the caller key', async () => {
    service.queue.push({ status: 307, headers: { location: 'http://127.0.0.1:9/tokens' } });
    const error = await failure();

    expect(error.code).toBe('ERR_TOKENVEND_CLIENT_HTTP_ERROR');
    expect(error.status).toBe(307);
    expect(service.requests).toHaveLength(1);
  });
});

describe('bad success bodies', () => {
  it.each([
    ['not JSON', 'token=abc'],
    ['an empty token', JSON.stringify({ token: '', tokenType: 'Bearer', expiresIn: 600 })],
    ['no expiresIn', JSON.stringify({ token: 'a.b.c', tokenType: 'Bearer' })],
    ['a zero expiresIn', JSON.stringify({ token: 'a.b.c', tokenType: 'Bearer', expiresIn: 0 })],
  ])('rejects %s with ERR_TOKENVEND_CLIENT_BAD_RESPONSE and never quotes the body', async (_, rawBody) => {
    service.queue.push({ status: 201, headers: { 'content-type': 'application/json' }, rawBody });
    const error = await failure();

    expect(error.code).toBe('ERR_TOKENVEND_CLIENT_BAD_RESPONSE');
    expect(error.status).toBe(201);
    expect(error.message).toBe('Token service answered 201 without a usable token response');
  });
});

describe('secrecy', () => {
  it('keeps the API key out of an error and its inspection', async () => {
    service.queue.push(problemReply(401, 'Unauthorized', 'ERR_TOKENVEND_UNAUTHENTICATED', 'missing or unknown caller key'));
    const error = await failure();

    expect(String(error)).not.toContain(API_KEY);
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(API_KEY);
  });

  it('redacts the API key when the server echoes it in the problem detail', async () => {
    service.queue.push(problemReply(401, 'Unauthorized', 'ERR_TOKENVEND_UNAUTHENTICATED', `unknown key ${API_KEY}`));
    const error = await failure();

    expect(error.message).toBe('Token service answered 401 Unauthorized: unknown key [REDACTED] (ERR_TOKENVEND_UNAUTHENTICATED)');
  });

  it('keeps the API key out of a timeout error', async () => {
    service.queue.push('hang');
    client.close();
    const clock = createFakeClock();
    client = createTokenClient({ baseUrl: service.baseUrl, apiKey: API_KEY, timeoutMs: 30, maxRetries: 0, now: clock.now, sleep: clock.sleep });
    const error = await failure();

    expect(error.code).toBe('ERR_TOKENVEND_CLIENT_TIMEOUT');
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain(API_KEY);
  });
});
