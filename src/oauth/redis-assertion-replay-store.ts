/** The assertion replay store in Redis: one `SET NX PX` per assertion, shared by every replica. */
import { UnavailableError } from '../errors/service-error.js';
import { withTimeout } from '../rate-limit/with-timeout.js';
import type { AssertionReplayStore } from './assertion-replay-store.js';

export interface RedisReplayStoreOptions {
  /** Sends one command on the limiter's Redis connection (whatever client that is). */
  readonly sendCommand: (args: string[]) => Promise<unknown>;
  readonly prefix?: string;
  readonly timeoutMs?: number;
}

/**
 * Fails closed: without Redis an assertion cannot be known to be fresh, so the request gets a 503
 * (RATE_LIMIT_FAIL_OPEN is about counting requests, not about letting a replay through).
 *
 * @example
 * const replay = createRedisReplayStore({ sendCommand: (args) => client.sendCommand(args) });
 */
export function createRedisReplayStore({ sendCommand, prefix = 'tokenvend:jti:', timeoutMs = 1000 }: RedisReplayStoreOptions): AssertionReplayStore {
  return {
    async firstUse(key, expiresAtMs, nowMs) {
      const ttlMs = Math.max(1, Math.ceil(expiresAtMs - nowMs));
      try {
        return (await withTimeout(sendCommand(['SET', `${prefix}${key}`, '1', 'NX', 'PX', String(ttlMs)]), timeoutMs)) === 'OK';
      } catch (error) {
        throw new UnavailableError('The assertion replay store is unavailable; retry shortly', { cause: error, retryAfterSeconds: 1 });
      }
    },
  };
}
