/**
 * getToken with Vapi's scope (tag, restrictions) and the cache key that keeps scopes apart; and what the
 * client must not expose or amplify: a caller key echoed in a problem document, a clear-text base URL,
 * a target that rejects every token.
 */

import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createTokenClient, TokenClientError, type TokenClient, type TokenClientOptions } from '../src/index.js';
import { parseOptions } from '../src/options.js';
import { createFakeClock, type FakeClock } from './helpers/fake-clock.js';
import { startFakeTokenService, type FakeReply, type FakeTokenService } from './helpers/fake-token-service.js';

const API_KEY = 'tvk_test_3f9a1c_secret';

let service: FakeTokenService;
let clock: FakeClock;
let client: TokenClient;

beforeEach(async () => {
  service = await startFakeTokenService();
  clock = createFakeClock();
  client = createTokenClient({ baseUrl: service.baseUrl, apiKey: API_KEY, now: clock.now, sleep: clock.sleep, random: () => 0, maxRetries: 0 });
});

afterEach(async () => {
  client.close();
  await service.close();
});

const restrictions = { enabled: true, allowedOrigins: ['https://b.example.com', 'https://a.example.com'], allowedAssistantIds: ['as_2', 'as_1'], allowTransientAssistant: false };

describe('getToken({ orgId, tag, restrictions, expiresIn, audience })', () => {
  test('sends every field in the body, exactly as given', async () => {
    await client.getToken({ orgId: 'org_1', tag: 'public', restrictions, expiresIn: '5m', audience: 'vapi' });
    expect(service.requests.map((request) => request.body)).toEqual([{ orgId: 'org_1', tag: 'public', restrictions, expiresIn: '5m', audience: 'vapi' }]);
  });

  test('the (orgId, options) form still works and shares the cache with the object form', async () => {
    const positional = await client.getToken('org_1', { tag: 'private', expiresIn: 600 });
    const object = await client.getToken({ orgId: 'org_1', tag: 'private', expiresIn: 600 });
    expect(object).toBe(positional);
    expect(await client.getToken({})).toBe(await client.getToken());
    expect(service.requests.map((request) => request.body)).toEqual([{ orgId: 'org_1', tag: 'private', expiresIn: 600 }, {}]);
  });

  test('a public token is never served for a private request, nor the other way round', async () => {
    const publicToken = await client.getToken({ orgId: 'org_1', tag: 'public' });
    const privateToken = await client.getToken({ orgId: 'org_1', tag: 'private' });
    const untagged = await client.getToken({ orgId: 'org_1' });
    expect(new Set([publicToken, privateToken, untagged]).size).toBe(3);
    expect(await client.getToken({ orgId: 'org_1', tag: 'public' })).toBe(publicToken);
    expect(await client.getToken('org_1', { tag: 'private' })).toBe(privateToken);
    expect(service.requests).toHaveLength(3);
  });

  test('restrictions are part of the key, compared canonically (list order does not matter, content does)', async () => {
    const first = await client.getToken({ orgId: 'org_1', tag: 'public', restrictions });
    const reordered = {
      allowTransientAssistant: false,
      allowedAssistantIds: ['as_1', 'as_2'],
      allowedOrigins: ['https://a.example.com', 'https://b.example.com'],
      enabled: true,
    };
    expect(await client.getToken({ orgId: 'org_1', tag: 'public', restrictions: reordered })).toBe(first);
    const narrower = await client.getToken({ orgId: 'org_1', tag: 'public', restrictions: { ...restrictions, allowedOrigins: ['https://a.example.com'] } });
    const unrestricted = await client.getToken({ orgId: 'org_1', tag: 'public' });
    expect(new Set([first, narrower, unrestricted]).size).toBe(3);
    expect(service.requests).toHaveLength(3);
  });

  test('invalidate(orgId) drops the tokens of every scope of that org', async () => {
    await client.getToken({ orgId: 'org_1', tag: 'public' });
    await client.getToken({ orgId: 'org_1', tag: 'private' });
    client.invalidate('org_1');
    await client.getToken({ orgId: 'org_1', tag: 'public' });
    await client.getToken({ orgId: 'org_1', tag: 'private' });
    expect(service.requests).toHaveLength(4);
  });

  test('both forms at once are refused, before any request', async () => {
    const call = client.getToken({ orgId: 'org_1' } as never, { tag: 'public' });
    await expect(call).rejects.toMatchObject({ code: 'ERR_TOKENVEND_CLIENT_INVALID_OPTIONS' });
    expect(service.requests).toHaveLength(0);
  });
});

describe('a problem document echoing the caller key', () => {
  const echo: FakeReply = {
    status: 400,
    headers: { 'content-type': 'application/problem+json' },
    body: {
      type: 'about:blank',
      title: `Bad ${API_KEY}`,
      status: 400,
      detail: `the key ${API_KEY} is not valid`,
      code: 'ERR_TOKENVEND_VALIDATION',
      invalidParams: [{ name: 'authorization', value: `Bearer ${API_KEY}`, nested: { again: [API_KEY, 7, null, true] } }],
      [API_KEY]: 'as a member name',
    },
  };

  test('is attached with every string redacted, at any depth; numbers, booleans and null stay', async () => {
    service.queue.push(echo);
    const error = (await client.getToken('org_1').catch((caught: unknown) => caught)) as TokenClientError;
    expect(error).toBeInstanceOf(TokenClientError);
    expect(error.problem).toEqual({
      type: 'about:blank',
      title: 'Bad [REDACTED]',
      status: 400,
      detail: 'the key [REDACTED] is not valid',
      code: 'ERR_TOKENVEND_VALIDATION',
      invalidParams: [{ name: 'authorization', value: 'Bearer [REDACTED]', nested: { again: ['[REDACTED]', 7, null, true] } }],
      '[REDACTED]': 'as a member name',
    });
    expect(error.message).toBe('Token service answered 400 Bad [REDACTED]: the key [REDACTED] is not valid (ERR_TOKENVEND_VALIDATION)');
  });

  test("never reaches a log line through pino's error serializer", async () => {
    service.queue.push(echo);
    const error = await client.getToken('org_1').catch((caught: unknown) => caught);
    const serialized = JSON.stringify(pino.stdSerializers.err(error as Error));
    expect(serialized).toContain('[REDACTED]');
    expect(serialized).toContain('invalidParams');
    expect(serialized).not.toContain(API_KEY);

    const lines: string[] = [];
    const logger = pino({ base: null }, new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(chunk.toString('utf8')); done(); } }));
    logger.error({ err: error }, 'token request failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('"problem":');
    expect(lines[0]).not.toContain(API_KEY);
  });
});

describe('base URLs', () => {
  const options = (baseUrl: string, extra: Partial<TokenClientOptions> = {}): TokenClientOptions => ({ baseUrl, apiKey: API_KEY, ...extra });

  test.each(['http://tokenvend.internal', 'http://10.0.0.7:8080', 'http://[::2]:8080', 'http://localhost.example.com', 'http://127.0.0.1.nip.io'])(
    'http to %s is refused (the caller key would cross the network in clear)',
    (baseUrl) => {
      expect(() => parseOptions(options(baseUrl))).toThrow(TokenClientError);
      expect(() => parseOptions(options(baseUrl))).toThrow('Invalid tokenvend client option "baseUrl": expected an https URL (http only to a loopback host, or with allowInsecureHttp: true)');
    },
  );

  test.each(['http://localhost:8080', 'http://LOCALHOST', 'http://127.0.0.1:1', 'http://127.9.9.9', 'http://127.1', 'http://[::1]:8080', 'https://tokenvend.internal'])(
    '%s is accepted',
    (baseUrl) => {
      expect(() => parseOptions(options(baseUrl))).not.toThrow();
    },
  );

  test('allowInsecureHttp: true accepts http anywhere; a non-boolean is refused', () => {
    expect(parseOptions(options('http://tokenvend.internal', { allowInsecureHttp: true })).tokenUrl).toBe('http://tokenvend.internal/tokens');
    expect(() => parseOptions(options('http://tokenvend.internal', { allowInsecureHttp: 'yes' as never }))).toThrow('"allowInsecureHttp": expected true or false');
  });
});

describe('a target that answers 401 to every token', () => {
  let target: FakeTokenService;
  const unauthorized: FakeReply = { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' }, rawBody: 'no' };

  beforeEach(async () => {
    target = await startFakeTokenService();
    target.fallback = () => unauthorized;
  });
  afterEach(() => target.close());

  test('drops the cached token at most once per tokenRejectionIntervalMs (default 10 s), not on every call', async () => {
    for (let call = 0; call < 5; call += 1) {
      expect((await client.fetch(`${target.baseUrl}/x`, { orgId: 'org_1' })).status).toBe(401);
    }
    // The first call: token 1, 401, dropped, token 2, 401. The other four: token 2, 401, kept.
    expect(service.requests).toHaveLength(2);
    expect(target.requests).toHaveLength(6);

    clock.advance(9_999);
    await client.fetch(`${target.baseUrl}/x`, { orgId: 'org_1' });
    expect(service.requests).toHaveLength(2);

    clock.advance(1);
    await client.fetch(`${target.baseUrl}/x`, { orgId: 'org_1' });
    expect(service.requests).toHaveLength(3);
  });

  test('the interval is per token parameters, and configurable', async () => {
    client.close();
    client = createTokenClient({ baseUrl: service.baseUrl, apiKey: API_KEY, now: clock.now, random: () => 0, tokenRejectionIntervalMs: 60_000 });
    await client.fetch(`${target.baseUrl}/x`, { orgId: 'org_1' });
    await client.fetch(`${target.baseUrl}/x`, { orgId: 'org_2' });
    expect(service.requests).toHaveLength(4);
    clock.advance(30_000);
    await client.fetch(`${target.baseUrl}/x`, { orgId: 'org_1' });
    expect(service.requests).toHaveLength(4);
    clock.advance(30_000);
    await client.fetch(`${target.baseUrl}/x`, { orgId: 'org_1' });
    expect(service.requests).toHaveLength(5);
  });

  test.each([[0], [-1], ['10s']])('tokenRejectionIntervalMs %j is refused', (value) => {
    expect(() => parseOptions({ baseUrl: service.baseUrl, apiKey: API_KEY, tokenRejectionIntervalMs: value as never })).toThrow('"tokenRejectionIntervalMs": expected a positive finite number');
  });
});
