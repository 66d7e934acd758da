/**
 * The failed-authentication guard attacked over real loopback sockets: pipelined guesses in one
 * write, bursts over many connections, a right key hidden among wrong ones, bodiless requests from
 * a shared address, and forged X-Forwarded-For.
 */
import type { AddressInfo } from 'node:net';
import { MemoryStore, type Store } from 'express-rate-limit';
import request from 'supertest';
import { createCallerRegistry } from '../../src/auth/caller-registry.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createApp } from '../../src/http/create-app.js';
import { createKeyRing } from '../../src/keys/key-ring.js';
import { loadSigningKeys } from '../../src/keys/load-signing-keys.js';
import { createLogger } from '../../src/logging/create-logger.js';
import { buildApp, type TestApp } from '../support/build-app.js';
import { callersJson, testCaller, unregisteredKey } from '../support/callers.js';
import { p256Key } from '../support/keys.js';
import { pipeline, tally, tokenRequest } from '../support/pipeline.js';
import { serveOnLoopback, type ServedApp } from '../support/serve-app.js';

const LIMIT = 20;
const web = testCaller('web-backend');
const env = (extra: Record<string, string> = {}) => ({
  NODE_ENV: 'production',
  PRIVATE_KEY: p256Key().pkcs8,
  CALLERS: callersJson(web),
  ORG_ID: 'org_a',
  AUTH_FAILURE_LIMIT_PER_MINUTE: String(LIMIT),
  RATE_LIMIT_PER_MINUTE: '100000',
  ...extra,
});

/** Wrong keys of every kind: well-formed but unregistered, a wrong checksum, not the format at all. */
const wrongKey = (i: number): string => {
  if (i % 3 === 0) return unregisteredKey();
  if (i % 3 === 1) return `${web.key.slice(0, -1)}${web.key.endsWith('0') ? '1' : '0'}`;
  return `tv_guess${i}`;
};

describe('failed-authentication guard over real sockets (memory store)', () => {
  let t: TestApp;
  let served: ServedApp;
  let port: number;
  beforeEach(async () => {
    t = await buildApp(env());
    served = await serveOnLoopback(t.app);
    port = (served.server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    await served.close();
    await t.close();
  });

  it('600 wrong keys pipelined in one socket write: at most the limit answered 401, every other one 429', async () => {
    const statuses = await pipeline(port, Array.from({ length: 600 }, (_, i) => tokenRequest(wrongKey(i))));
    const counts = tally(statuses);
    expect(statuses).toHaveLength(600);
    expect(counts[401] ?? 0).toBeLessThanOrEqual(LIMIT);
    expect(counts[429]).toBe(600 - (counts[401] ?? 0));
    expect(t.logs.filter((line) => line.event === 'token.issued')).toHaveLength(0);
  });

  it('concurrent bursts over 30 sockets (20 pipelined guesses each): at most the limit answered 401 in all', async () => {
    const bursts = await Promise.all(Array.from({ length: 30 }, (_, s) => pipeline(port, Array.from({ length: 20 }, (_, i) => tokenRequest(wrongKey(s * 20 + i))))));
    const counts = tally(bursts.flat());
    expect(counts[401] ?? 0).toBeLessThanOrEqual(LIMIT);
    expect((counts[401] ?? 0) + (counts[429] ?? 0)).toBe(600);
  });

  it('a right key placed after 500 wrong ones in the same write is served (201): the guard throttles garbage, not callers', async () => {
    const statuses = await pipeline(port, [...Array.from({ length: 500 }, (_, i) => tokenRequest(wrongKey(i))), tokenRequest(web.key)]);
    expect(statuses).toHaveLength(501);
    expect(tally(statuses.slice(0, 500))[401] ?? 0).toBeLessThanOrEqual(LIMIT);
    expect(statuses[500]).toBe(201);
    expect(t.logs.filter((line) => line.event === 'token.issued')).toEqual([expect.objectContaining({ caller: 'web-backend' })]);
  });

  it('requests without any credential are not guesses: 40 bodiless POSTs get 401 each, and lock out no one', async () => {
    const statuses = await pipeline(port, Array.from({ length: 40 }, () => tokenRequest(undefined)));
    expect(statuses).toEqual(Array(40).fill(401));
    await request(served.base).post('/tokens').set('Authorization', `Bearer ${web.key}`).expect(201);
    // The failure count was never touched: the address still has all its 401s.
    const guesses = await pipeline(port, Array.from({ length: LIMIT }, (_, i) => tokenRequest(wrongKey(i))));
    expect(guesses).toEqual(Array(LIMIT).fill(401));
  });

  it('an address over its failure limit still gets 201 for a registered key, and 429 problem+json with Retry-After for garbage', async () => {
    await pipeline(port, Array.from({ length: LIMIT }, (_, i) => tokenRequest(wrongKey(i))));
    const blocked = await request(served.base).post('/tokens').set('Authorization', `Bearer ${unregisteredKey()}`);
    expect(blocked.status).toBe(429);
    expect(blocked.body).toEqual({
      type: 'urn:tokenvend:problem:rate-limited',
      title: 'Too many requests',
      status: 429,
      detail: 'Too many failed authentication attempts from this address',
      code: 'ERR_TOKENVEND_RATE_LIMITED',
      instance: '/tokens',
    });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(60);
    await request(served.base).post('/tokens').set('Authorization', `Bearer ${web.key}`).expect(201);
    // Nothing secret in the audit lines of the refusals.
    expect(t.rawLogs.join('\n')).not.toContain(web.key.slice(3, 46));
  });

  it('default TRUST_PROXY: a forged or rotated X-Forwarded-For neither dodges the limit nor targets another client', async () => {
    const rotated = await pipeline(
      port,
      Array.from({ length: LIMIT + 10 }, (_, i) => tokenRequest(wrongKey(i), { 'X-Forwarded-For': `203.0.113.${i}` })),
    );
    const counts = tally(rotated);
    expect(counts[401] ?? 0).toBeLessThanOrEqual(LIMIT);
    expect(counts[429]).toBe(LIMIT + 10 - (counts[401] ?? 0));
    expect(t.logs.filter((line) => line.event === 'token.rejected').map((line) => line.ip)).not.toContain('203.0.113.1');
    // Forging a victim's address blocks nothing for the victim, whose key is valid anyway.
    await request(served.base).post('/tokens').set('Authorization', `Bearer ${web.key}`).set('X-Forwarded-For', '203.0.113.1').expect(201);
  });
});

describe('store calls per request', () => {
  /** A MemoryStore that counts every call made to it, whatever the method. */
  function countingStore(): Store & { calls: string[] } {
    const inner = new MemoryStore();
    const calls: string[] = [];
    return {
      calls,
      localKeys: false,
      init: (options) => inner.init(options),
      get: (key) => (calls.push('get'), inner.get(key)),
      increment: (key) => (calls.push('increment'), inner.increment(key)),
      decrement: (key) => (calls.push('decrement'), inner.decrement(key)),
      resetKey: (key) => (calls.push('resetKey'), inner.resetKey(key)),
    };
  }

  it('a valid caller makes exactly one store call (its quota), a wrong key exactly one (its address\'s count), no credential none', async () => {
    const config = loadConfig(env());
    const logger = createLogger('silent', { write: () => undefined });
    const stores = { callers: countingStore(), authFailures: countingStore() };
    const app = createApp({ config, logger, keyRing: createKeyRing(await loadSigningKeys(config)), callers: createCallerRegistry(config.callers ?? []), stores });
    await request(app).post('/tokens').set('Authorization', `Bearer ${web.key}`).expect(201);
    expect([stores.callers.calls, stores.authFailures.calls]).toEqual([['increment'], []]);
    await request(app).post('/tokens').set('Authorization', `Bearer ${unregisteredKey()}`).expect(401);
    expect([stores.callers.calls, stores.authFailures.calls]).toEqual([['increment'], ['increment']]);
    await request(app).post('/tokens').expect(401);
    expect([stores.callers.calls, stores.authFailures.calls]).toEqual([['increment'], ['increment']]);
  });
});
