import request from 'supertest';
import { buildApp, type TestApp } from '../support/build-app.js';
import { callersJson, testCaller, unregisteredKey } from '../support/callers.js';
import { p256Key } from '../support/keys.js';

const web = testCaller('web-backend');
const frugal = testCaller('frugal', { rateLimitPerMinute: 2 });
const other = testCaller('other');

const env = (extra: Record<string, string> = {}) => ({
  NODE_ENV: 'production',
  PRIVATE_KEY: p256Key().pkcs8,
  CALLERS: callersJson(web, frugal, other),
  ...extra,
});
const mint = (t: TestApp, key: string, from?: string) => {
  const req = request(t.app).post('/tokens').set('Authorization', `Bearer ${key}`);
  if (from) req.set('X-Forwarded-For', from);
  return req.send({ orgId: 'org_a' });
};
const metricValue = async (t: TestApp, pattern: RegExp): Promise<number> => {
  const text = await t.metrics.registry.metrics();
  const match = text.split('\n').find((line) => pattern.test(line));
  return match ? Number(match.split(' ').pop()) : 0;
};

describe('per-caller rate limit', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildApp(env({ RATE_LIMIT_PER_MINUTE: '3' }));
  });
  afterEach(() => t.close());

  it('sends the IETF RateLimit headers on every /tokens answer', async () => {
    const res = await mint(t, web.key).expect(201);
    // pk is express-rate-limit's hash of the partition key (the caller id), never the caller key.
    expect(res.headers['ratelimit-policy']).toMatch(/^"per-caller"; q=3; w=60; pk=:[A-Za-z0-9+/=]+:$/);
    expect(res.headers['ratelimit']).toMatch(/^"per-caller"; r=2; t=\d+$/);
    // Answers after authentication carry them too, errors included.
    const invalid = await request(t.app).post('/tokens').set('Authorization', `Bearer ${web.key}`).send({ orgId: '' }).expect(400);
    expect(invalid.headers['ratelimit']).toMatch(/^"per-caller"; r=1; t=\d+$/);
  });

  it('refuses the request over the limit with 429 problem+json and Retry-After, before any signing', async () => {
    for (let i = 0; i < 3; i += 1) await mint(t, web.key).expect(201);
    const signedBefore = await metricValue(t, /^tokenvend_token_sign_duration_seconds_count/);
    const res = await mint(t, web.key);
    expect(res.status).toBe(429);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.body).toEqual({
      type: 'urn:tokenvend:problem:rate-limited',
      title: 'Too many requests',
      status: 429,
      detail: 'This caller has exceeded its token request limit',
      code: 'ERR_TOKENVEND_RATE_LIMITED',
      instance: '/tokens',
    });
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(res.headers['ratelimit']).toMatch(/r=0/);
    expect(await metricValue(t, /^tokenvend_token_sign_duration_seconds_count/)).toBe(signedBefore);
    expect(await metricValue(t, /^tokenvend_token_requests_rejected_total\{reason="rate_limited"\}/)).toBe(1);
    expect(t.logs.filter((line) => line.event === 'token.rejected')).toEqual([expect.objectContaining({ reason: 'rate_limited', caller: 'web-backend', status: 429 })]);
  });

  it('limits each caller on its own, with a caller\'s rateLimitPerMinute overriding the default', async () => {
    await mint(t, frugal.key).expect(201);
    await mint(t, frugal.key).expect(201);
    expect((await mint(t, frugal.key).expect(429)).headers['ratelimit-policy']).toMatch(/^"per-caller"; q=2; w=60/);
    for (let i = 0; i < 3; i += 1) await mint(t, other.key).expect(201);
  });
});

describe('failed-authentication limit per client address', () => {
  let t: TestApp;
  beforeEach(async () => {
    // The test client is the trusted proxy on loopback; X-Forwarded-For names the client.
    t = await buildApp(env({ AUTH_FAILURE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: 'loopback', RATE_LIMIT_PER_MINUTE: '1000' }));
  });
  afterEach(() => t.close());

  it('after the limit, the address gets 429 for wrong keys; a registered key is still served; other addresses are unaffected', async () => {
    for (let i = 0; i < 3; i += 1) await mint(t, unregisteredKey(), '203.0.113.7').expect(401);
    const blocked = await mint(t, unregisteredKey(), '203.0.113.7');
    expect(blocked.status).toBe(429);
    expect(blocked.body).toMatchObject({ code: 'ERR_TOKENVEND_RATE_LIMITED', detail: 'Too many failed authentication attempts from this address' });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await mint(t, 'tv_another-guess', '203.0.113.7')).status).toBe(429);
    await mint(t, web.key, '203.0.113.7').expect(201);
    await mint(t, unregisteredKey(), '198.51.100.1').expect(401);
    expect(t.logs.filter((line) => line.event === 'token.issued')).toHaveLength(1);
  });

  it('counts only failures: a burst of 60 valid requests from one address is never refused by it', async () => {
    const results = await Promise.all(Array.from({ length: 60 }, () => mint(t, web.key, '192.0.2.10')));
    expect(results.map((res) => res.status)).toEqual(Array(60).fill(201));
    await mint(t, 'tv_wrong', '192.0.2.10').expect(401);
    await mint(t, web.key, '192.0.2.10').expect(201);
  });

  it('without TRUST_PROXY, X-Forwarded-For is ignored: rotating it does not escape the limit', async () => {
    const direct = await buildApp(env({ AUTH_FAILURE_LIMIT_PER_MINUTE: '2' }));
    await mint(direct, unregisteredKey(), '10.0.0.1').expect(401);
    await mint(direct, unregisteredKey(), '10.0.0.2').expect(401);
    await mint(direct, unregisteredKey(), '10.0.0.3').expect(429);
    await mint(direct, web.key, '10.0.0.4').expect(201);
    await direct.close();
  });
});
