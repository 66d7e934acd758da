import { randomUUID } from 'node:crypto';
import type { Options } from 'express-rate-limit';
import { createBatchingRedisStore } from '../../src/rate-limit/batching-redis-store.js';
import { connectSharedRedis, type SharedRedis } from '../../src/rate-limit/shared-redis.js';
import { createLogger } from '../../src/logging/create-logger.js';
import { privateRedis, type PrivateRedis } from '../support/redis-server.js';
import { sleep, until } from '../support/wait.js';

/** Counts the commands the store sends, to show that one turn's increments of a key are one command. */
function counting(redis: SharedRedis) {
  const sent: string[][] = [];
  const wrapped: SharedRedis = { ...redis, send: (key, args) => (sent.push([...args]), redis.send(key, args)) };
  return { redis: wrapped, sent };
}

describe('batching Redis store', () => {
  let server: PrivateRedis;
  let redis: SharedRedis;
  beforeAll(async () => {
    server = await privateRedis();
    await server.start();
    redis = connectSharedRedis({ kind: 'single', url: server.url }, createLogger('silent'), 1000);
    await until(() => redis.ping().then(() => true, () => false), 5000, 'redis ready');
  });
  afterAll(async () => {
    await redis.close();
    await server.stop();
  });

  it('sends one turn of increments of a key as one command, and gives each its own running total', async () => {
    const { redis: counted, sent } = counting(redis);
    const store = createBatchingRedisStore({ redis: counted, prefix: `test:${randomUUID()}:` });
    store.init?.({ windowMs: 60_000 } as Options);
    const first = await Promise.all(Array.from({ length: 50 }, () => store.increment('caller:a')));
    expect(first.map((r) => r.totalHits)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    // One EVALSHA for the 50 (and the script itself once, if this server had not seen it).
    expect(sent.filter(([command]) => command === 'EVALSHA')).toHaveLength(1);
    expect(sent.filter(([command]) => command === 'EVAL').length).toBeLessThanOrEqual(1);
    const reset = first[0]?.resetTime?.getTime() ?? 0;
    expect(reset - Date.now()).toBeGreaterThan(59_000);
    expect(first.every((r) => r.resetTime?.getTime() === reset)).toBe(true);

    sent.length = 0;
    const [b, a] = await Promise.all([store.increment('caller:b'), store.increment('caller:a')]);
    expect([a?.totalHits, b?.totalHits]).toEqual([51, 1]);
    expect(sent).toHaveLength(2);
    await expect(store.get?.('caller:a')).resolves.toMatchObject({ totalHits: 51 });
  });

  it('answers reads of one turn with one command, and undefined once the window has ended', async () => {
    const store = createBatchingRedisStore({ redis, prefix: `test:${randomUUID()}:` });
    store.init?.({ windowMs: 150 } as Options);
    await expect(store.get?.('authfail:10.0.0.1')).resolves.toBeUndefined();
    await store.increment('authfail:10.0.0.1');
    const reads = await Promise.all([store.get?.('authfail:10.0.0.1'), store.get?.('authfail:10.0.0.1')]);
    expect(reads.map((info) => info?.totalHits)).toEqual([1, 1]);
    await sleep(200);
    await expect(store.get?.('authfail:10.0.0.1')).resolves.toBeUndefined();
    await expect(store.increment('authfail:10.0.0.1')).resolves.toMatchObject({ totalHits: 1 });
  });

  it('sends the script again to a server that does not know it (a new master after a failover)', async () => {
    const store = createBatchingRedisStore({ redis, prefix: `test:${randomUUID()}:` });
    store.init?.({ windowMs: 60_000 } as Options);
    await store.increment('caller:a');
    await redis.send(undefined, ['SCRIPT', 'FLUSH']);
    await expect(store.increment('caller:a')).resolves.toMatchObject({ totalHits: 2 });
  });

  it('takes hits back without going below zero, and resets a key', async () => {
    const store = createBatchingRedisStore({ redis, prefix: `test:${randomUUID()}:` });
    store.init?.({ windowMs: 60_000 } as Options);
    await store.decrement('caller:a');
    await expect(store.increment('caller:a')).resolves.toMatchObject({ totalHits: 1 });
    await store.increment('caller:a');
    await store.decrement('caller:a');
    await expect(store.get?.('caller:a')).resolves.toMatchObject({ totalHits: 1 });
    await store.resetKey('caller:a');
    await expect(store.get?.('caller:a')).resolves.toBeUndefined();
  });

  it('sets a one-time value once (setIfAbsent), with its expiry', async () => {
    const key = `test:${randomUUID()}:jti`;
    await expect(redis.setIfAbsent(key, 60_000)).resolves.toBe(true);
    await expect(redis.setIfAbsent(key, 60_000)).resolves.toBe(false);
    const ttl = await redis.send<number>(key, ['PTTL', key]);
    expect(ttl).toBeGreaterThan(59_000);
  });
});
