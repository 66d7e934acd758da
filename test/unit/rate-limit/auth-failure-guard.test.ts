import { jest } from '@jest/globals';
import { MemoryStore, type Store } from 'express-rate-limit';
import { createAuthFailureGuard } from '../../../src/rate-limit/auth-failure-guard.js';
import { RATE_LIMIT_WINDOW_MS } from '../../../src/rate-limit/caller-limiter.js';

function setup(store: Store = new MemoryStore()) {
  let now = Date.now();
  const get = jest.spyOn(store, 'get' as never);
  const guard = createAuthFailureGuard({ store, limit: 2, failOpen: true, clock: () => now });
  return { guard, get, advance: (ms: number) => (now += ms) };
}

describe('createAuthFailureGuard', () => {
  it('refuses an address once it reached the limit of failures, and only that address', async () => {
    const { guard } = setup();
    await guard.recordFailure('10.0.0.1');
    await expect(Promise.resolve(guard.check('10.0.0.1'))).resolves.toBeUndefined();
    await guard.recordFailure('10.0.0.1');
    await expect(Promise.resolve(guard.check('10.0.0.1'))).rejects.toMatchObject({ status: 429, code: 'ERR_TOKENVEND_RATE_LIMITED' });
    await expect(Promise.resolve(guard.check('10.0.0.2'))).resolves.toBeUndefined();
  });

  it('with counts kept in this process, looks nothing up until a failure, and again a window after the last', async () => {
    const { guard, get, advance } = setup();
    expect(guard.check('10.0.0.1')).toBeUndefined();
    expect(get).not.toHaveBeenCalled();
    await guard.recordFailure('10.0.0.1');
    await guard.recordFailure('10.0.0.1');
    await expect(Promise.resolve(guard.check('10.0.0.1'))).rejects.toMatchObject({ status: 429 });
    expect(get).toHaveBeenCalledTimes(1);
    advance(RATE_LIMIT_WINDOW_MS - 1);
    await expect(Promise.resolve(guard.check('10.0.0.1'))).rejects.toMatchObject({ status: 429 });
    advance(2);
    expect(guard.check('10.0.0.1')).toBeUndefined();
    expect(get).toHaveBeenCalledTimes(2);
  });

  it('always asks a shared store, where other replicas record failures too', async () => {
    const shared = new MemoryStore();
    Object.defineProperty(shared, 'localKeys', { value: false });
    const { guard, get } = setup(shared);
    await guard.check('10.0.0.1');
    await guard.check('10.0.0.1');
    expect(get).toHaveBeenCalledTimes(2);
  });
});
