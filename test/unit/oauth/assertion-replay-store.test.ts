import { execFileSync } from 'node:child_process';
import { createClient } from 'redis';
import { UnavailableError } from '../../../src/errors/service-error.js';
import { createMemoryReplayStore } from '../../../src/oauth/assertion-replay-store.js';
import { createRedisReplayStore } from '../../../src/oauth/redis-assertion-replay-store.js';
import { privateRedis, type PrivateRedis } from '../../support/redis-server.js';

const NOW = 1_800_000_000_000;

describe('the memory replay store', () => {
  it('knows a jti until it expires', async () => {
    const store = createMemoryReplayStore();
    expect(await store.firstUse('web\u0000a', NOW + 60_000, NOW)).toBe(true);
    expect(await store.firstUse('web\u0000a', NOW + 60_000, NOW + 59_999)).toBe(false);
    expect(await store.firstUse('other\u0000a', NOW + 60_000, NOW)).toBe(true);
    expect(await store.firstUse('web\u0000a', NOW + 120_000, NOW + 60_000)).toBe(true);
  });

  it('is bounded: when full of live entries it refuses rather than forget one', async () => {
    const store = createMemoryReplayStore({ capacity: 3 });
    for (const jti of ['a', 'b', 'c']) expect(await store.firstUse(jti, NOW + 60_000, NOW)).toBe(true);
    await expect(store.firstUse('d', NOW + 60_000, NOW)).rejects.toBeInstanceOf(UnavailableError);
    // Replays are still recognised while full, and expired entries make room.
    expect(await store.firstUse('a', NOW + 60_000, NOW)).toBe(false);
    expect(await store.firstUse('d', NOW + 200_000, NOW + 60_000)).toBe(true);
  });
});

const hasRedis = (() => {
  try {
    execFileSync('which', ['redis-server'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

// Skipped without the redis-server program (Debian package redis-server).
(hasRedis ? describe : describe.skip)('the Redis replay store (needs redis-server, Debian package redis-server)', () => {
  let redis: PrivateRedis;
  let clients: Array<ReturnType<typeof createClient>>;
  beforeAll(async () => {
    redis = await privateRedis();
    await redis.start();
    clients = [createClient({ url: redis.url, disableOfflineQueue: true }), createClient({ url: redis.url, disableOfflineQueue: true })];
    await Promise.all(clients.map((client) => client.connect()));
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await redis.stop();
  });

  it('refuses on one replica an assertion used on another, and forgets it after exp', async () => {
    const [one, two] = clients.map((client) => createRedisReplayStore({ sendCommand: (args) => client.sendCommand(args), prefix: 'test:jti:' }));
    const now = Date.now();
    expect(await one?.firstUse('web\u0000x', now + 200, now)).toBe(true);
    expect(await two?.firstUse('web\u0000x', now + 200, now)).toBe(false);
    expect(await clients[0]?.pTTL('test:jti:web\u0000x')).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await two?.firstUse('web\u0000x', Date.now() + 200, Date.now())).toBe(true);
  });

  it('fails closed (503) when Redis does not answer', async () => {
    const store = createRedisReplayStore({ sendCommand: () => new Promise(() => undefined), timeoutMs: 50 });
    await expect(store.firstUse('web\u0000y', NOW + 1000, NOW)).rejects.toBeInstanceOf(UnavailableError);
  });
});
