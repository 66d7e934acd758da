/**
 * Throttles garbage: every failed authentication from an address is counted, and once the address
 * is over AUTH_FAILURE_LIMIT_PER_MINUTE within the window its failures are answered 429 instead of
 * 401. The decision is made from the count the store returns for this very increment (atomic in
 * both stores: express-rate-limit's MemoryStore counts synchronously, rate-limit-redis in one Lua
 * script), so requests sent side by side cannot outrun it. (MemoryStore answers with its live record,
 * so failures counted in the same tick all see the latest total: a burst over the limit may get fewer
 * than `limit` 401s, never more.) Only failures touch the store: a
 * registered key is served whatever its address's count, since guessing a 256-bit key is pointless
 * (caller-key-format.ts) and a valid caller must not be shut out by its neighbours' garbage.
 */
import { ipKeyGenerator, MemoryStore, type ClientRateLimitInfo, type Options, type Store } from 'express-rate-limit';
import { RateLimitedError } from '../errors/service-error.js';
import { RATE_LIMIT_WINDOW_MS } from './caller-limiter.js';

export interface AuthFailureGuard {
  /** Counts one failed authentication from `ip`; rejects with 429 once the address is over its limit, else resolves (the caller answers 401). */
  countFailure(ip: string | undefined): Promise<void>;
}

export interface AuthFailureGuardOptions {
  readonly store: Store;
  readonly limit: number;
  /**
   * This process's own count beside a shared `store`, which decides while `store` fails (a Redis
   * outage): the guard never fails open, or an outage would let guesses through unthrottled. An
   * in-process MemoryStore unless given; unused when `store` is local itself.
   */
  readonly fallback?: Store;
  readonly clock?: () => number;
}

/**
 * @example
 * const guard = createAuthFailureGuard({ store: new MemoryStore(), limit: 20 });
 * await guard.countFailure(req.socket.remoteAddress); // throws RateLimitedError past the 20th in a minute
 */
export function createAuthFailureGuard({ store, limit, fallback, clock = Date.now }: AuthFailureGuardOptions): AuthFailureGuard {
  const windowOptions = { windowMs: RATE_LIMIT_WINDOW_MS } as Options;
  void store.init?.(windowOptions);
  const local = store.localKeys === true ? undefined : (fallback ?? new MemoryStore());
  void local?.init?.(windowOptions);
  // IPv6 clients are grouped by /56, as express-rate-limit does, so one host cannot rotate addresses.
  const keyOf = (ip: string | undefined) => `authfail:${ip ? ipKeyGenerator(ip) : 'unknown'}`;

  // With a shared store, every failure is counted in this process too, and the larger count decides.
  // While the shared store answers, its count is the larger (it holds this process's failures and
  // the other replicas'); while it fails or times out, this process still answers at most `limit`
  // 401s per window, however the outage begins (a burst half counted in Redis included).
  const increment = async (key: string): Promise<ClientRateLimitInfo> => {
    if (local === undefined) return store.increment(key);
    const [shared, own] = await Promise.all([
      // The guarded store has counted and logged the error already.
      Promise.resolve(store.increment(key)).catch(() => undefined),
      local.increment(key),
    ]);
    return shared !== undefined && shared.totalHits >= own.totalHits ? shared : own;
  };

  return {
    async countFailure(ip) {
      const { totalHits, resetTime } = await increment(keyOf(ip));
      if (totalHits > limit) {
        const retryAfter = resetTime ? (resetTime.getTime() - clock()) / 1000 : RATE_LIMIT_WINDOW_MS / 1000;
        throw new RateLimitedError('Too many failed authentication attempts from this address', retryAfter);
      }
    },
  };
}
