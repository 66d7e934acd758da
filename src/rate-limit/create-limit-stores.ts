/** Picks where the limit counters live: in memory, or in Redis so that replicas share one limit. */
import { MemoryStore, type Store } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import type { ReadinessCheck } from '../http/routes/health.js';
import type { Logger } from '../logging/create-logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { guardStore } from './guard-store.js';
import { connectRedis } from './redis-client.js';
import { withTimeout } from './with-timeout.js';
import { createStoreErrorReporter } from './report-store-errors.js';

export interface LimitStores {
  readonly callers: Store;
  readonly authFailures: Store;
  readonly readiness: readonly ReadinessCheck[];
  close(): Promise<void>;
}

export interface LimitStoreOptions {
  readonly redisUrl: string | undefined;
  readonly failOpen: boolean;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Key prefix in Redis; tests give each app its own. */
  readonly prefix?: string;
  /** Longest a request waits on Redis. */
  readonly timeoutMs?: number;
}

/**
 * @example
 * const stores = createLimitStores({ redisUrl: process.env.REDIS_URL, failOpen: true, logger, metrics });
 */
export function createLimitStores({ redisUrl, failOpen, logger, metrics, prefix = 'tokenvend:rl:', timeoutMs = 1000 }: LimitStoreOptions): LimitStores {
  if (redisUrl === undefined) {
    const callers = new MemoryStore();
    const authFailures = new MemoryStore();
    return {
      callers,
      authFailures,
      readiness: [],
      async close() {
        callers.shutdown();
        authFailures.shutdown();
      },
    };
  }

  const client = connectRedis(redisUrl, logger);
  const onError = createStoreErrorReporter(logger, metrics, failOpen);
  const redisStore = () => guardStore(new RedisStore({ sendCommand: (...args: string[]) => client.sendCommand(args), prefix }), { timeoutMs, onError });
  const callers = redisStore();
  const authFailures = redisStore();
  return {
    callers,
    authFailures,
    readiness: [
      {
        name: 'rateLimitStore',
        // A real round trip: a connected Redis that stopped answering is not ready either.
        check: () => withTimeout(client.ping(), timeoutMs).then(
          () => 'ok' as const,
          () => (failOpen ? ('degraded' as const) : ('down' as const)),
        ),
      },
    ],
    async close() {
      client.destroy();
    },
  };
}
