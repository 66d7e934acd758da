import { jest } from '@jest/globals';
import { MemoryStore, type Store } from 'express-rate-limit';
import { createAuthFailureGuard } from '../../../src/rate-limit/auth-failure-guard.js';
import { RATE_LIMIT_WINDOW_MS } from '../../../src/rate-limit/caller-limiter.js';

function setup(store: Store = new MemoryStore()) {
  const get = jest.spyOn(store, 'get' as never);
  const guard = createAuthFailureGuard({ store, limit: 2, failOpen: true });
  return { guard, get };
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

  it('with counts kept in this process, looks nothing up until a failure, and again once its window has reset', async () => {
    jest.useFakeTimers({ now: Date.parse('2030-01-01T00:00:00Z'), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      const { guard, get } = setup();
      expect(guard.check('10.0.0.1')).toBeUndefined();
      expect(get).not.toHaveBeenCalled();
      await guard.recordFailure('10.0.0.1');
      await guard.recordFailure('10.0.0.1');
      await expect(Promise.resolve(guard.check('10.0.0.1'))).rejects.toMatchObject({ status: 429 });
      expect(get).toHaveBeenCalledTimes(1);
      jest.setSystemTime(Date.now() + RATE_LIMIT_WINDOW_MS - 1);
      await expect(Promise.resolve(guard.check('10.0.0.1'))).rejects.toMatchObject({ status: 429 });
      jest.setSystemTime(Date.now() + 1);
      expect(guard.check('10.0.0.1')).toBeUndefined();
      expect(get).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('does not skip the lookup for a check made while a failure is still being counted', async () => {
    const { guard, get } = setup();
    const counting = guard.recordFailure('10.0.0.1');
    await guard.check('10.0.0.1');
    expect(get).toHaveBeenCalledTimes(1);
    await counting;
  });

  it('lets checks of one address made while its lookup is under way share it, and looks up again once it is answered', async () => {
    const shared = new MemoryStore();
    Object.defineProperty(shared, 'localKeys', { value: false });
    await shared.increment('authfail:10.0.0.1');
    await shared.increment('authfail:10.0.0.1');
    const { guard, get } = setup(shared);
    const together = [guard.check('10.0.0.1'), guard.check('10.0.0.1'), guard.check('10.0.0.2'), guard.check('10.0.0.1')];
    expect(get).toHaveBeenCalledTimes(2);
    const outcomes = await Promise.allSettled(together);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'fulfilled', 'rejected']);
    await expect(Promise.resolve(guard.check('10.0.0.1'))).rejects.toMatchObject({ status: 429 });
    expect(get).toHaveBeenCalledTimes(3);
  });

  it('gives every check that shared a failed lookup the failure, and asks again on the next check', async () => {
    const failing = new MemoryStore();
    Object.defineProperty(failing, 'localKeys', { value: false });
    let answers = 0;
    failing.get = async () => {
      answers += 1;
      if (answers === 1) throw new Error('store down');
      return undefined;
    };
    const guard = createAuthFailureGuard({ store: failing, limit: 2, failOpen: false });
    const outcomes = await Promise.allSettled([guard.check('10.0.0.1'), guard.check('10.0.0.1')]);
    expect(outcomes).toEqual([
      { status: 'rejected', reason: new Error('store down') },
      { status: 'rejected', reason: new Error('store down') },
    ]);
    await expect(Promise.resolve(guard.check('10.0.0.1'))).resolves.toBeUndefined();
    expect(answers).toBe(2);
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
