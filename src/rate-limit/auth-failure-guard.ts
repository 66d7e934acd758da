/**
 * Slows down key guessing: after AUTH_FAILURE_LIMIT_PER_MINUTE failed authentications from one
 * address, that address is refused until the window passes. Only failures count, so a burst of
 * valid requests is never refused by this limit.
 */
import { ipKeyGenerator, type ClientRateLimitInfo, type Options, type Store } from 'express-rate-limit';
import { RateLimitedError } from '../errors/service-error.js';
import { RATE_LIMIT_WINDOW_MS } from './caller-limiter.js';

export interface AuthFailureGuard {
  /** Throws 429 while the address is over its failure limit; checked before the key is looked at. Synchronous when nothing needs looking up. */
  check(ip: string | undefined): void | Promise<void>;
  /** Counts one failed authentication. */
  recordFailure(ip: string | undefined): Promise<void>;
}

export interface AuthFailureGuardOptions {
  readonly store: Store;
  readonly limit: number;
  readonly failOpen: boolean;
  readonly clock?: () => number;
}

/**
 * @example
 * const guard = createAuthFailureGuard({ store: new MemoryStore(), limit: 20, failOpen: true });
 */
export function createAuthFailureGuard({ store, limit, failOpen, clock = Date.now }: AuthFailureGuardOptions): AuthFailureGuard {
  void store.init?.({ windowMs: RATE_LIMIT_WINDOW_MS } as Options);
  // IPv6 clients are grouped by /56, as express-rate-limit does, so one host cannot rotate addresses.
  const keyOf = (ip: string | undefined) => `authfail:${ip ? ipKeyGenerator(ip) : 'unknown'}`;
  // A failing store lets the request through when failing open; the guarded store has already reported it.
  const tolerate = async <T>(operation: () => Promise<T> | T): Promise<T | undefined> => {
    try {
      return await operation();
    } catch (error) {
      if (failOpen) return undefined;
      throw error;
    }
  };

  // A store that keeps its counts in this process (the memory store) only holds failures recorded
  // here: once the latest window they opened has reset (by the store's own clock), every count has
  // expired, and the lookup can be skipped.
  const countsAreLocal = store.localKeys === true;
  let countsLiveUntil = -Infinity;

  // Checks of one address made while its lookup is under way share that lookup. Its answer is at most
  // one round trip old, as the answers to lookups sent side by side would be, and a burst from one
  // address (a caller's backend) costs a shared store one read instead of one per request.
  const lookups = new Map<string, Promise<ClientRateLimitInfo | undefined>>();

  return {
    check(ip) {
      if (countsAreLocal && Date.now() >= countsLiveUntil) return undefined;
      const refuseIfOver = (info: ClientRateLimitInfo | undefined): void => {
        if (info && info.totalHits >= limit) {
          const retryAfter = info.resetTime ? (info.resetTime.getTime() - clock()) / 1000 : RATE_LIMIT_WINDOW_MS / 1000;
          throw new RateLimitedError('Too many failed authentication attempts from this address', retryAfter);
        }
      };
      const key = keyOf(ip);
      let lookup = lookups.get(key);
      if (lookup === undefined) {
        const info = store.get?.(key);
        if (!(info instanceof Promise)) return refuseIfOver(info);
        lookup = info;
        lookups.set(key, lookup);
        const forget = (): void => void lookups.delete(key);
        lookup.then(forget, forget);
      }
      const shared = lookup;
      return tolerate(() => shared).then(refuseIfOver);
    },
    async recordFailure(ip) {
      // Set before the increment too, so a check that runs while it is pending does not skip.
      countsLiveUntil = Math.max(countsLiveUntil, Date.now() + RATE_LIMIT_WINDOW_MS);
      const counted = await tolerate(() => store.increment(keyOf(ip)));
      countsLiveUntil = Math.max(countsLiveUntil, counted?.resetTime?.getTime() ?? -Infinity);
    },
  };
}
