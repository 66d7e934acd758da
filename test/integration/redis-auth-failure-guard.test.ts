/**
 * The failed-authentication guard with its counts in Redis (a private redis-server on a free
 * loopback port): pipelined and concurrent guesses, a Redis that is down, and one that stalls.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { buildApp, type TestApp } from '../support/build-app.js';
import { callersJson, testCaller, unregisteredKey } from '../support/callers.js';
import { p256Key } from '../support/keys.js';
import { pipeline, tally, tokenRequest } from '../support/pipeline.js';
import { privateRedis, type PrivateRedis } from '../support/redis-server.js';
import { serveOnLoopback, type ServedApp } from '../support/serve-app.js';
import { until } from '../support/wait.js';

const hasRedisServer = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
const describeWithRedis = hasRedisServer ? describe : describe.skip;
if (!hasRedisServer) console.warn('skipped: redis-server is not installed (Debian package redis-server)');

const LIMIT = 20;
const STORE_TIMEOUT_MS = 1000;
const web = testCaller('web-backend');
const env = (redisUrl: string, extra: Record<string, string> = {}) => ({
  NODE_ENV: 'production',
  PRIVATE_KEY: p256Key().pkcs8,
  CALLERS: callersJson(web),
  ORG_ID: 'org_a',
  REDIS_URL: redisUrl,
  AUTH_FAILURE_LIMIT_PER_MINUTE: String(LIMIT),
  RATE_LIMIT_PER_MINUTE: '100000',
  ...extra,
});
const storeErrors = async (t: TestApp) => Number(/^tokenvend_rate_limit_store_errors_total (\d+)/m.exec(await t.metrics.registry.metrics())?.[1]);
const ready = (t: TestApp) => until(async () => (await request(t.app).get('/readyz')).body.checks?.rateLimitStore === 'ok', 10_000, 'rate-limit store ready');

describeWithRedis('failed-authentication guard with Redis', () => {
  let redis: PrivateRedis;
  let t: TestApp | undefined;
  let served: ServedApp | undefined;
  let port: number;
  let running = false;
  // Stopped once only: a second stop() of the shared helper would wait for an exit that already happened.
  const stopRedis = async () => {
    if (!running) return;
    running = false;
    await redis.stop();
  };

  const start = async (extra: Record<string, string> = {}) => {
    t = await buildApp(env(redis.url, extra), { redisPrefix: `test:${randomUUID()}:`, storeTimeoutMs: STORE_TIMEOUT_MS });
    await ready(t);
    served = await serveOnLoopback(t.app);
    port = (served.server.address() as AddressInfo).port;
    return { t, served };
  };

  beforeAll(async () => {
    redis = await privateRedis();
  });
  beforeEach(async () => {
    await redis.start();
    running = true;
  });
  afterEach(async () => {
    redis.resume();
    await served?.close();
    await t?.close();
    served = undefined;
    t = undefined;
    await stopRedis();
  });

  it('600 wrong keys pipelined in one socket write: at most the limit answered 401, the rest 429', async () => {
    await start();
    const statuses = await pipeline(port, Array.from({ length: 600 }, () => tokenRequest(unregisteredKey())));
    const counts = tally(statuses);
    expect(statuses).toHaveLength(600);
    expect(counts[401] ?? 0).toBeLessThanOrEqual(LIMIT);
    expect(counts[429]).toBe(600 - (counts[401] ?? 0));
  });

  it('concurrent bursts over 30 sockets: at most the limit answered 401 in all, and a right key among them is served', async () => {
    const { served: app } = await start();
    const bursts = Promise.all(Array.from({ length: 30 }, () => pipeline(port, Array.from({ length: 20 }, () => tokenRequest(`tv_guess${randomUUID()}`)))));
    const valid = pipeline(port, [tokenRequest(unregisteredKey()), tokenRequest(web.key)]);
    const counts = tally((await bursts).flat());
    expect(counts[401] ?? 0).toBeLessThanOrEqual(LIMIT);
    expect((counts[401] ?? 0) + (counts[429] ?? 0)).toBe(600);
    expect((await valid)[1]).toBe(201);
    await request(app.base).post('/tokens').set('Authorization', `Bearer ${web.key}`).expect(201);
  });

  it('Redis down: the guard counts in memory instead of failing open (100 wrong keys, at most the limit answered 401)', async () => {
    const { t: app, served: server } = await start();
    await stopRedis();
    const statuses = [];
    for (let i = 0; i < 100; i += 1) statuses.push((await request(server.base).post('/tokens').set('Authorization', `Bearer ${unregisteredKey()}`)).status);
    expect(tally(statuses)).toEqual({ 401: LIMIT, 429: 100 - LIMIT });
    expect(await storeErrors(app)).toBeGreaterThanOrEqual(100);
    // The per-caller quota keeps failing open.
    await request(server.base).post('/tokens').set('Authorization', `Bearer ${web.key}`).expect(201);
  });

  it('Redis down and fail-closed: wrong keys still get 401 then 429 (never 503), a valid caller gets 503', async () => {
    const { served: server } = await start({ RATE_LIMIT_FAIL_OPEN: 'false', AUTH_FAILURE_LIMIT_PER_MINUTE: '2' });
    await stopRedis();
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await request(server.base).post('/tokens').set('Authorization', `Bearer ${unregisteredKey()}`)).status);
    expect(statuses).toEqual([401, 401, 429, 429]);
    await request(server.base).post('/tokens').set('Authorization', `Bearer ${web.key}`).expect(503);
  });

  it('a stalled Redis (SIGSTOP) costs a request one store time-out in all, not one per store call', async () => {
    const { t: app, served: server } = await start();
    redis.pause();
    const errorsBefore = await storeErrors(app);
    const timed = async (key: string) => {
      const started = performance.now();
      const res = await request(server.base).post('/tokens').set('Authorization', `Bearer ${key}`);
      return { status: res.status, ms: performance.now() - started };
    };
    const [valid, wrong] = await Promise.all([timed(web.key), timed(unregisteredKey())]);
    // A bound, not a speed test: one 1 s time-out plus slack, where two store calls would take 2 s.
    expect(valid).toEqual({ status: 201, ms: expect.any(Number) });
    expect(valid.ms).toBeLessThan(1500);
    expect(wrong).toEqual({ status: 401, ms: expect.any(Number) });
    expect(wrong.ms).toBeLessThan(1500);
    // Exactly one store call each: the caller's quota for the valid one, the failure count for the wrong one.
    expect((await storeErrors(app)) - errorsBefore).toBe(2);
  });
});
