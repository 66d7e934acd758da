import type { IncrementResponse, Store } from 'express-rate-limit';
import { createStoreHealth, guardStore } from '../../../src/rate-limit/guard-store.js';

/** A store whose answers the test controls: 'hang' never answers, 'ok' answers at once. */
function scriptedStore() {
  let mode: 'hang' | 'ok' = 'ok';
  let calls = 0;
  const store: Store = {
    increment: () => {
      calls += 1;
      return mode === 'hang' ? new Promise<IncrementResponse>(() => undefined) : Promise.resolve({ totalHits: 1, resetTime: undefined });
    },
    decrement: () => undefined,
    resetKey: () => undefined,
  };
  return { store, calls: () => calls, set: (next: 'hang' | 'ok') => void (mode = next) };
}

describe('guardStore', () => {
  it('bounds a request by one time-out: after a call timed out, the next ones fail at once until a trial succeeds', async () => {
    const inner = scriptedStore();
    const errors: unknown[] = [];
    let now = 0;
    const health = createStoreHealth({ retryMs: 250, clock: () => now });
    const store = guardStore(inner.store, { timeoutMs: 30, onError: (error) => errors.push(error), health });
    // The other store on the same Redis (the failed-authentication counters) shares the health.
    const other = scriptedStore();
    const sibling = guardStore(other.store, { timeoutMs: 30, onError: (error) => errors.push(error), health });

    inner.set('hang');
    const started = performance.now();
    await expect(store.increment('caller:a')).rejects.toMatchObject({ status: 503, code: 'ERR_TOKENVEND_UNAVAILABLE' });
    // The same request's next calls (the caller limit after the address check) do not wait again, on either store.
    await expect(store.increment('caller:a')).rejects.toMatchObject({ status: 503 });
    await expect(sibling.increment('authfail:10.0.0.1')).rejects.toMatchObject({ status: 503 });
    expect(performance.now() - started).toBeLessThan(30 + 25);
    expect(inner.calls()).toBe(1);
    expect(other.calls()).toBe(0);
    expect(errors.map((error) => (error as Error).name)).toEqual(['StoreTimeoutError', 'StoreFailingError', 'StoreFailingError']);

    // Once retryMs has passed, one call tries the store again, and its success ends the failing state.
    inner.set('ok');
    now += 250;
    await expect(store.increment('caller:a')).resolves.toMatchObject({ totalHits: 1 });
    await expect(store.increment('caller:a')).resolves.toMatchObject({ totalHits: 1 });
    expect(inner.calls()).toBe(3);
    expect(errors).toHaveLength(3);
  });
});
