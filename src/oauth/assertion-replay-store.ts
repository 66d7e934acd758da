/**
 * Remembers the `jti` of every client assertion until it expires, so that an assertion is used once
 * (RFC 7523 §3 item 7). In memory by default; in Redis (redis-assertion-replay-store.ts) when replicas share one.
 */
import { UnavailableError } from '../errors/service-error.js';

export interface AssertionReplayStore {
  /** True the first time `key` is seen before `expiresAtMs`; false for a replay. `nowMs` is the verifier's clock, so both agree on what has expired. */
  firstUse(key: string, expiresAtMs: number, nowMs: number): Promise<boolean>;
}

/**
 * Each entry costs ~150 bytes; 200 000 of them hold every assertion of 2 000 requests a second
 * whose `exp` is a minute ahead (what openid-client and authlib send), in about 30 MB.
 */
export const MAX_REMEMBERED_ASSERTIONS = 200_000;

/**
 * Bounded: when full of live entries it refuses (503) rather than forget one, since forgetting
 * would let that assertion be replayed.
 *
 * @example
 * const replay = createMemoryReplayStore();
 * await replay.firstUse('web:3f1c…', exp * 1000, Date.now()); // true, then false
 */
export function createMemoryReplayStore({ capacity = MAX_REMEMBERED_ASSERTIONS }: { capacity?: number } = {}): AssertionReplayStore {
  const seen = new Map<string, number>();
  // Most assertions live about as long as the others, so the oldest insertions expire first: drop them from the front.
  const dropExpiredFront = (now: number) => {
    for (const [key, expiresAt] of seen) {
      if (expiresAt > now) break;
      seen.delete(key);
    }
  };
  const sweep = (now: number) => {
    for (const [key, expiresAt] of seen) if (expiresAt <= now) seen.delete(key);
  };
  return {
    async firstUse(key, expiresAtMs, now) {
      dropExpiredFront(now);
      const known = seen.get(key);
      if (known !== undefined && known > now) return false;
      if (seen.size >= capacity) sweep(now);
      if (seen.size >= capacity) throw new UnavailableError('Too many client assertions in flight; retry shortly', { retryAfterSeconds: 5 });
      seen.delete(key);
      seen.set(key, expiresAtMs);
      return true;
    },
  };
}
