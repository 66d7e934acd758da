/** createTokenClient against a fake token service: request shape, caching, single flight, refresh, resilience. */

import { inspect } from 'node:util';
import { createTokenClient, TokenClientError, type TokenClient, type TokenClientOptions } from '../src/index.js';
import { createFakeClock, type FakeClock } from './helpers/fake-clock.js';
import { problemReply, startFakeTokenService, type FakeTokenService } from './helpers/fake-token-service.js';

const API_KEY = 'tvk_test_3f9a1c_secret';

let service: FakeTokenService;
let clock: FakeClock;
let client: TokenClient;

function makeClient(overrides: Partial<TokenClientOptions> = {}): TokenClient {
  client.close();
  client = createTokenClient({ baseUrl: service.baseUrl, apiKey: API_KEY, now: clock.now, sleep: clock.sleep, random: () => 0, ...overrides });
  return client;
}

beforeEach(async () => {
  service = await startFakeTokenService();
  clock = createFakeClock();
  client = createTokenClient({ baseUrl: service.baseUrl, apiKey: API_KEY, now: clock.now, sleep: clock.sleep, random: () => 0 });
});

afterEach(async () => {
  client.close();
  await service.close();
});

describe('request', () => {
  it('POSTs the parameters to /tokens with the caller key and returns the minted token', async () => {
    const token = await client.getToken('org_1', { expiresIn: 900, audience: 'billing' });

    expect(token).toBe(service.issued[0]);
    expect(service.requests).toHaveLength(1);
    const [request] = service.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/tokens');
    expect(request?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.body).toEqual({ orgId: 'org_1', expiresIn: 900, audience: 'billing' });
  });

  it('sends an empty object for the default org and keeps a base path', async () => {
    makeClient({ baseUrl: `${service.baseUrl}/v1` });
    await client.getToken();

    expect(service.requests[0]?.path).toBe('/v1/tokens');
    expect(service.requests[0]?.body).toEqual({});
  });
});

describe('caching', () => {
  it('answers a second call from the cache without a request', async () => {
    const first = await client.getToken('org_1');
    clock.advance(60_000);
    const second = await client.getToken('org_1');

    expect(second).toBe(first);
    expect(service.requests).toHaveLength(1);
  });

  it('shares one request among 10 concurrent calls (single flight)', async () => {
    const tokens = await Promise.all(Array.from({ length: 10 }, () => client.getToken('org_1')));

    expect(service.requests).toHaveLength(1);
    expect(tokens).toEqual(Array.from({ length: 10 }, () => service.issued[0]));
  });

  it('keys the cache by orgId, expiresIn and audience', async () => {
    const variants: Array<[string | undefined, { expiresIn?: number | string; audience?: string }?]> = [
      ['org_a'],
      ['org_b'],
      ['org_a', { expiresIn: 60 }],
      ['org_a', { expiresIn: '1m' }],
      ['org_a', { audience: 'billing' }],
      [undefined],
    ];
    const first = [];
    for (const [orgId, options] of variants) first.push(await client.getToken(orgId, options));
    const second = [];
    for (const [orgId, options] of variants) second.push(await client.getToken(orgId, options));

    expect(service.requests.map((r) => r.body)).toEqual([
      { orgId: 'org_a' },
      { orgId: 'org_b' },
      { orgId: 'org_a', expiresIn: 60 },
      { orgId: 'org_a', expiresIn: '1m' },
      { orgId: 'org_a', audience: 'billing' },
      {},
    ]);
    expect(first).toEqual(service.issued);
    expect(second).toEqual(service.issued);
  });
});

describe('refresh window', () => {
  it('refreshes at 80 % of the life when jitter is 0', async () => {
    await client.getToken('org_1'); // expiresIn 600 s → refresh at 480 s
    clock.advance(479_999);
    expect(await client.getToken('org_1')).toBe(service.issued[0]);
    expect(service.requests).toHaveLength(1);

    clock.advance(1);
    expect(await client.getToken('org_1')).toBe(service.issued[1]);
    expect(service.requests).toHaveLength(2);
  });

  it('moves the refresh earlier by the jitter (random 0.5 → 465 s of 600 s)', async () => {
    makeClient({ random: () => 0.5 });
    await client.getToken('org_1'); // window 120 s, jitter 0.5 · 0.25 · 120 s = 15 s → refresh at 465 s
    clock.advance(464_999);
    await client.getToken('org_1');
    expect(service.requests).toHaveLength(1);

    clock.advance(1);
    await client.getToken('org_1');
    expect(service.requests).toHaveLength(2);
  });

  it('uses refreshBeforeSeconds as the window', async () => {
    makeClient({ refreshBeforeSeconds: 30 });
    await client.getToken('org_1'); // refresh at 600 s - 30 s = 570 s
    clock.advance(569_999);
    await client.getToken('org_1');
    expect(service.requests).toHaveLength(1);

    clock.advance(1);
    expect(await client.getToken('org_1')).toBe(service.issued[1]);
    expect(service.requests).toHaveLength(2);
  });

  it('shares one refresh request among concurrent calls in the window', async () => {
    await client.getToken('org_1');
    clock.advance(500_000);
    const tokens = await Promise.all(Array.from({ length: 10 }, () => client.getToken('org_1')));

    expect(service.requests).toHaveLength(2);
    expect(new Set(tokens)).toEqual(new Set([service.issued[1]]));
  });
});

describe('resilience', () => {
  const unavailable = () => problemReply(503, 'Service Unavailable', 'ERR_TOKENVEND_UNAVAILABLE', 'signing key not ready', { 'retry-after': '5' });

  it('returns the still-valid token when a refresh fails, reports it, and waits out Retry-After', async () => {
    const reported: TokenClientError[] = [];
    makeClient({ maxRetries: 0, onRefreshError: (error) => reported.push(error) });
    await client.getToken('org_1');
    service.fallback = unavailable;
    clock.advance(500_000);

    expect(await client.getToken('org_1')).toBe(service.issued[0]);
    expect(service.requests).toHaveLength(2);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toBeInstanceOf(TokenClientError);
    expect(reported[0]?.status).toBe(503);
    expect(reported[0]?.code).toBe('ERR_TOKENVEND_UNAVAILABLE');

    clock.advance(4_999); // cooldown = max(1 s, Retry-After 5 s)
    expect(await client.getToken('org_1')).toBe(service.issued[0]);
    expect(service.requests).toHaveLength(2);

    clock.advance(1);
    expect(await client.getToken('org_1')).toBe(service.issued[0]);
    expect(service.requests).toHaveLength(3);
    expect(reported).toHaveLength(2);
  });

  it('throws once the cached token has expired', async () => {
    makeClient({ maxRetries: 0 });
    await client.getToken('org_1');
    service.fallback = unavailable;
    clock.advance(600_000);

    const error = await client.getToken('org_1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenClientError);
    expect((error as TokenClientError).status).toBe(503);
  });

  it('throws when there is no cached token', async () => {
    makeClient({ maxRetries: 0 });
    service.fallback = unavailable;
    await expect(client.getToken('org_1')).rejects.toMatchObject({ status: 503, code: 'ERR_TOKENVEND_UNAVAILABLE' });
  });
});

describe('invalidate and close', () => {
  it('invalidate(orgId) drops every token of that org only', async () => {
    await client.getToken('org_a');
    await client.getToken('org_a', { audience: 'billing' });
    await client.getToken('org_b');
    await client.getToken();
    client.invalidate('org_a');
    await client.getToken('org_a');
    await client.getToken('org_a', { audience: 'billing' });
    await client.getToken('org_b');
    await client.getToken();
    expect(service.requests).toHaveLength(6);

    client.invalidate();
    await client.getToken();
    expect(service.requests).toHaveLength(7);
    expect(service.requests[6]?.body).toEqual({});
  });

  it('close() rejects the request in flight and every later call with ERR_TOKENVEND_CLIENT_CLOSED', async () => {
    service.queue.push('hang');
    const pending = client.getToken('org_1');
    await new Promise((resolve) => setTimeout(resolve, 20));
    client.close();

    await expect(pending).rejects.toMatchObject({ name: 'TokenClientError', code: 'ERR_TOKENVEND_CLIENT_CLOSED' });
    await expect(client.getToken('org_1')).rejects.toMatchObject({ code: 'ERR_TOKENVEND_CLIENT_CLOSED' });
    await expect(client.fetch(`${service.baseUrl}/x`)).rejects.toMatchObject({ code: 'ERR_TOKENVEND_CLIENT_CLOSED' });
  });
});

describe('secrecy', () => {
  it('never shows the API key in inspect, toString or JSON of the client', () => {
    expect(inspect(client, { showHidden: true, depth: 10 })).toBe(`TokenClient { tokenUrl: '${service.baseUrl}/tokens' }`);
    expect(String(client)).toBe('[object TokenClient]');
    expect(JSON.stringify(client)).toBe('{}');
    expect(Object.keys(client).sort()).toEqual(['close', 'fetch', 'getToken', 'invalidate']);
  });
});
