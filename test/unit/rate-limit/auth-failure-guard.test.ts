import { MemoryStore, type Store } from 'express-rate-limit';
import { createAuthFailureGuard } from '../../../src/rate-limit/auth-failure-guard.js';

const LIMIT = 3;
const outcome = (promise: Promise<void>) =>
  promise.then(
    () => 401,
    (error: { status?: number }) => error.status,
  );

/** A store shared with other replicas (not local), answering like a remote one. */
function remoteStore(): Store & { failing: boolean; increments: number } {
  const inner = new MemoryStore();
  void inner.init({ windowMs: 60_000 } as never);
  const store = {
    failing: false,
    increments: 0,
    localKeys: false,
    async increment(key: string) {
      store.increments += 1;
      if (store.failing) throw new Error('store down');
      const { totalHits, resetTime } = await inner.increment(key);
      return { totalHits, resetTime };
    },
    decrement: (key: string) => inner.decrement(key),
    resetKey: (key: string) => inner.resetKey(key),
  };
  return store;
}

describe('createAuthFailureGuard', () => {
  it('answers exactly `limit` failures from one address, then 429 with Retry-After, and only for that address', async () => {
    const guard = createAuthFailureGuard({ store: new MemoryStore(), limit: LIMIT });
    const statuses = [];
    for (let i = 0; i < 5; i += 1) statuses.push(await outcome(guard.countFailure('10.0.0.1')));
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    await expect(guard.countFailure('10.0.0.1')).rejects.toMatchObject({ code: 'ERR_TOKENVEND_RATE_LIMITED', headers: { 'Retry-After': expect.stringMatching(/^[1-9]\d?$/) } });
    await expect(guard.countFailure('10.0.0.2')).resolves.toBeUndefined();
  });

  it('decides from the count after the increment: 600 failures at once get at most `limit` 401s', async () => {
    for (const store of [new MemoryStore(), remoteStore()]) {
      const guard = createAuthFailureGuard({ store, limit: LIMIT });
      const statuses = await Promise.all(Array.from({ length: 600 }, () => outcome(guard.countFailure('10.0.0.1'))));
      expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(LIMIT);
      expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
    }
  });

  it('groups IPv6 addresses by /56', async () => {
    const guard = createAuthFailureGuard({ store: new MemoryStore(), limit: 1 });
    await guard.countFailure('2001:db8:0:1::1');
    await expect(guard.countFailure('2001:db8:0:2::9')).rejects.toMatchObject({ status: 429 });
  });

  it('keeps counting in memory while a shared store fails, and counts in the shared store again once it answers', async () => {
    const store = remoteStore();
    const guard = createAuthFailureGuard({ store, limit: LIMIT });
    store.failing = true;
    const statuses = [];
    for (let i = 0; i < 100; i += 1) statuses.push(await outcome(guard.countFailure('10.0.0.1')));
    expect(statuses.filter((status) => status === 401)).toHaveLength(LIMIT);
    expect(store.increments).toBe(100);
    store.failing = false;
    await expect(guard.countFailure('10.0.0.9')).resolves.toBeUndefined();
    expect(store.increments).toBe(101);
  });
});
