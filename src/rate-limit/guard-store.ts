/**
 * Wraps a remote rate-limit store: no call waits more than `timeoutMs`, every failure is reported,
 * and after an outage the store is initialised again (rate-limit-redis keeps a rejected script load
 * otherwise, and would fail forever once Redis was down at start).
 */
import type { ClientRateLimitInfo, IncrementResponse, Options, Store } from 'express-rate-limit';
import { UnavailableError } from '../errors/service-error.js';
import { withTimeout } from './with-timeout.js';

export interface GuardOptions {
  readonly timeoutMs: number;
  readonly onError: (error: unknown) => void;
}

/**
 * @example
 * const store = guardStore(new RedisStore({ sendCommand }), { timeoutMs: 1000, onError: report });
 */
export function guardStore(inner: Store, { timeoutMs, onError }: GuardOptions): Store {
  let options: Options | undefined;
  let reinit: Promise<void> | undefined;
  let stale = false;

  const initialise = (): Promise<void> => {
    // One initialisation at a time, shared by every request that finds the store stale.
    reinit ??= Promise.resolve(options && inner.init?.(options))
      .then(() => {
        stale = false;
      })
      .finally(() => {
        reinit = undefined;
      });
    return reinit;
  };

  async function call<T>(operation: () => Promise<T> | T): Promise<T> {
    try {
      const work = async () => {
        if (stale) await initialise();
        return operation();
      };
      return await withTimeout(work(), timeoutMs);
    } catch (error) {
      stale = true;
      onError(error);
      throw new UnavailableError('The rate-limit store is unavailable', { cause: error });
    }
  }

  return {
    localKeys: false,
    ...(inner.prefix !== undefined && { prefix: inner.prefix }),
    init(given: Options) {
      // Initialised by the first call, not now: at start-up the connection is usually still being made.
      options = given;
      stale = true;
    },
    get: (key: string) => call<ClientRateLimitInfo | undefined>(() => inner.get?.(key)),
    increment: (key: string) => call<IncrementResponse>(() => inner.increment(key)),
    decrement: (key: string) => call(() => inner.decrement(key)),
    resetKey: (key: string) => call(() => inner.resetKey(key)),
  };
}
