/**
 * Wraps a remote rate-limit store: no call waits more than `timeoutMs`, every failure is reported,
 * and after an outage the store is initialised again (a store that loads something in `init`, such
 * as a script, would otherwise keep a load rejected while Redis was down at start).
 *
 * One bound per request: a token request calls the store up to twice (the address check, the caller
 * limit). Once a call has failed, the store is known to be failing: further calls fail at once,
 * except one trial call per `retryMs` that finds out whether it is back. So a request waits
 * `timeoutMs` at most in all, not once per call (a stalled Redis cost 2 s per request before), and
 * a store that answers again is used again within `retryMs` of the next request.
 */
import type { ClientRateLimitInfo, IncrementResponse, Options, Store } from 'express-rate-limit';
import { UnavailableError } from '../errors/service-error.js';
import { withTimeout } from './with-timeout.js';

export interface GuardOptions {
  readonly timeoutMs: number;
  readonly onError: (error: unknown) => void;
  /**
   * Whether the store is failing, shared by every store on the same Redis (the caller counters and
   * the failed-authentication counters), so that one request's calls to both wait one bound in all.
   * A state of its own unless given.
   */
  readonly health?: StoreHealth;
}

/** Failing or not, and when the next trial call may go; one per Redis connection. */
export interface StoreHealth {
  /** True when this call may go to the store (it is healthy, or this call is the trial). */
  mayCall(): boolean;
  succeeded(): void;
  failed(): void;
}

/**
 * @example
 * const health = createStoreHealth();
 * const callers = guardStore(storeA, { timeoutMs, onError, health });
 * const authFailures = guardStore(storeB, { timeoutMs, onError, health });
 */
export function createStoreHealth({ retryMs = 250, clock = () => performance.now() }: { retryMs?: number; clock?: () => number } = {}): StoreHealth {
  let failing = false;
  let nextTrialAt = 0;
  return {
    mayCall() {
      if (!failing) return true;
      const now = clock();
      if (now < nextTrialAt) return false;
      nextTrialAt = now + retryMs;
      return true;
    },
    succeeded() {
      failing = false;
    },
    failed() {
      failing = true;
      nextTrialAt = clock() + retryMs;
    },
  };
}

/** Thrown without asking the store, while it is failing and another call is trying it. */
export class StoreFailingError extends Error {
  override readonly name = 'StoreFailingError';
  constructor() {
    super('the store failed recently; not asked again yet');
  }
}

/**
 * @example
 * const store = guardStore(new RedisStore({ sendCommand }), { timeoutMs: 1000, onError: report });
 */
export function guardStore(inner: Store, { timeoutMs, onError, health = createStoreHealth() }: GuardOptions): Store {
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

  const refuse = (error: unknown): never => {
    onError(error);
    throw new UnavailableError('The rate-limit store is unavailable', { cause: error });
  };

  async function call<T>(operation: () => Promise<T> | T): Promise<T> {
    if (!health.mayCall()) return refuse(new StoreFailingError());
    try {
      const work = async () => {
        if (stale) await initialise();
        return operation();
      };
      const result = await withTimeout(work(), timeoutMs);
      health.succeeded();
      return result;
    } catch (error) {
      stale = true;
      health.failed();
      return refuse(error);
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
