import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { until } from '../support/wait.js';
import { buildApp, type TestApp } from '../support/build-app.js';
import { callersJson, testCaller, unregisteredKey } from '../support/callers.js';
import { p256Key } from '../support/keys.js';
import { describeWithPrograms } from '../support/outside-programs.js';
import { privateRedis, startRedis, type PrivateRedis } from '../support/redis-server.js';

const web = testCaller('web-backend');
const env = (redisUrl: string, extra: Record<string, string> = {}) => ({
  NODE_ENV: 'production',
  PRIVATE_KEY: p256Key().pkcs8,
  CALLERS: callersJson(web),
  REDIS_URL: redisUrl,
  ...extra,
});
const mint = (t: TestApp, key = web.key) => request(t.app).post('/tokens').set('Authorization', `Bearer ${key}`).send({ orgId: 'org_a' });
const storeErrors = async (t: TestApp) => Number(/^tokenvend_rate_limit_store_errors_total (\d+)/m.exec(await t.metrics.registry.metrics())?.[1]);

/**
 * After an outage the store is tried again at most every 250 ms (guard-store.ts), so the first
 * requests once Redis is back may still be served uncounted: waits for the first counted answer
 * (it carries the RateLimit header) and returns it.
 */
async function firstCounted(t: TestApp): Promise<request.Response> {
  let counted: request.Response | undefined;
  await until(async () => {
    const res = await mint(t);
    if (res.headers['ratelimit'] !== undefined) counted = res;
    return counted !== undefined;
  }, 5_000, 'a counted answer');
  return counted as request.Response;
}

const ready = (t: TestApp) => until(async () => (await request(t.app).get('/readyz')).body.checks?.rateLimitStore === 'ok', 10_000, 'rate-limit store ready');

describeWithPrograms(['redis-server'], 'limits shared across replicas through Redis', () => {
  const apps: TestApp[] = [];
  let shared: PrivateRedis;
  beforeAll(async () => {
    shared = await startRedis();
  });
  afterAll(async () => {
    await shared.stop();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('two app instances enforce one per-caller limit together', async () => {
    const prefix = `test:${randomUUID()}:`;
    const [a, b] = await Promise.all([1, 2].map(() => buildApp(env(shared.url, { RATE_LIMIT_PER_MINUTE: '4' }), { redisPrefix: prefix })));
    apps.push(a as TestApp, b as TestApp);
    await Promise.all(apps.map(ready));
    const statuses = [];
    for (const app of [a, b, a, b, a, b] as TestApp[]) statuses.push((await mint(app)).status);
    expect(statuses).toEqual([201, 201, 201, 201, 429, 429]);
  });

  it('two app instances share the failed-authentication limit (garbage only: a registered key is served)', async () => {
    const prefix = `test:${randomUUID()}:`;
    const [a, b] = await Promise.all([1, 2].map(() => buildApp(env(shared.url, { AUTH_FAILURE_LIMIT_PER_MINUTE: '2' }), { redisPrefix: prefix })));
    apps.push(a as TestApp, b as TestApp);
    await Promise.all(apps.map(ready));
    await mint(a as TestApp, 'tv_guess1').expect(401);
    await mint(b as TestApp, unregisteredKey()).expect(401);
    await mint(a as TestApp, unregisteredKey()).expect(429);
    await mint(b as TestApp, 'tv_guess3').expect(429);
    await mint(a as TestApp).expect(201);
  });
});

describeWithPrograms(['redis-server'], 'Redis outage', () => {
  let redis: PrivateRedis;
  let t: TestApp | undefined;
  beforeEach(async () => {
    redis = await privateRedis();
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
    await redis.stop();
  });

  it('fail-open (default): serves while Redis is down, counts errors, reports degraded, enforces again once it is back', async () => {
    await redis.start();
    t = await buildApp(env(redis.url, { RATE_LIMIT_PER_MINUTE: '3' }), { redisPrefix: `test:${randomUUID()}:` });
    await ready(t);
    await mint(t).expect(201);

    await redis.stop();
    for (let i = 0; i < 5; i += 1) await mint(t).expect(201);
    expect(await storeErrors(t)).toBeGreaterThanOrEqual(5);
    const readiness = await request(t.app).get('/readyz').expect(200);
    expect(readiness.body).toEqual({ status: 'degraded', checks: { signingKey: 'ok', rateLimitStore: 'degraded' } });
    // Logged, but not once per request.
    expect(t.logs.filter((line) => line.event === 'rate_limit.store_error').length).toBe(1);

    await redis.start();
    await ready(t);
    const statuses = [(await firstCounted(t)).status];
    for (let i = 0; i < 3; i += 1) statuses.push((await mint(t)).status);
    expect(statuses).toEqual([201, 201, 201, 429]);
  });

  it('fail-closed: 503 problem while Redis is down, /readyz 503, serves again once it is back', async () => {
    await redis.start();
    t = await buildApp(env(redis.url, { RATE_LIMIT_FAIL_OPEN: 'false' }), { redisPrefix: `test:${randomUUID()}:` });
    await ready(t);
    await mint(t).expect(201);

    await redis.stop();
    const refused = await mint(t);
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({
      type: 'urn:tokenvend:problem:unavailable',
      title: 'Service unavailable',
      status: 503,
      detail: 'The rate-limit store is unavailable',
      code: 'ERR_TOKENVEND_UNAVAILABLE',
      instance: '/tokens',
    });
    expect(refused.headers['retry-after']).toBe('5');
    expect((await request(t.app).get('/readyz').expect(503)).body.checks).toEqual({ signingKey: 'ok', rateLimitStore: 'down' });
    expect(t.logs.filter((line) => line.event === 'token.rejected').at(-1)).toMatchObject({ reason: 'unavailable', status: 503 });
    expect(t.rawLogs.join('\n')).not.toContain(String(redis.port) + '/');

    await redis.start();
    await ready(t);
    await until(async () => (await mint(t as TestApp)).status === 201, 5_000, 'served again');
  });

  it('Redis down at start: the service starts and serves, and limits apply once Redis comes up', async () => {
    t = await buildApp(env(redis.url, { RATE_LIMIT_PER_MINUTE: '2' }), { redisPrefix: `test:${randomUUID()}:` });
    await mint(t).expect(201);
    expect((await request(t.app).get('/readyz').expect(200)).body.status).toBe('degraded');
    await redis.start();
    await ready(t);
    const statuses = [(await firstCounted(t)).status];
    for (let i = 0; i < 2; i += 1) statuses.push((await mint(t)).status);
    expect(statuses).toEqual([201, 201, 429]);
  });

  it('a Redis that stops answering holds no request longer than one store time-out (1 s)', async () => {
    await redis.start();
    t = await buildApp(env(redis.url), { redisPrefix: `test:${randomUUID()}:` });
    await ready(t);
    redis.pause();
    try {
      const started = Date.now();
      const results = await Promise.all(Array.from({ length: 5 }, () => mint(t as TestApp)));
      const elapsed = Date.now() - started;
      expect(results.map((res) => res.status)).toEqual([201, 201, 201, 201, 201]);
      // One store call per request (the caller limit), bounded by the 1 s time-out; a bound, not a speed test.
      expect(elapsed).toBeLessThan(1_500);
      expect(await storeErrors(t)).toBeGreaterThanOrEqual(5);
    } finally {
      redis.resume();
    }
  });
});
