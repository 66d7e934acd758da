/** Picks where the shared state lives: in memory, or in Redis (one server, Sentinel or Cluster) so that replicas share one limit. */
import { MemoryStore, type Store } from 'express-rate-limit';
import type { RedisTarget } from '../config/config.js';
import type { ReadinessCheck } from '../http/routes/health.js';
import type { Logger } from '../logging/create-logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { createBatchingRedisStore } from './batching-redis-store.js';
import { createStoreHealth, guardStore } from './guard-store.js';
import { connectSharedRedis, type SharedRedis } from './shared-redis.js';
import { redisAddress } from './describe-redis-error.js';
import { withTimeout } from './with-timeout.js';
import { createStoreErrorReporter } from './report-store-errors.js';
import { createMemoryReplayStore, type AssertionReplayStore } from '../oauth/assertion-replay-store.js';
import { createRedisReplayStore } from '../oauth/redis-assertion-replay-store.js';

export interface LimitStores {
  readonly callers: Store;
  readonly authFailures: Store;
  /** The shared Redis, for any other state the replicas must share (e.g. `setIfAbsent` for one-time values); undefined in memory mode. */
  readonly redis: SharedRedis | undefined;
  /** The `jti`s of private_key_jwt assertions: in Redis beside the counters, so every replica refuses a replay. */
  readonly assertionReplay: AssertionReplayStore;
  readonly readiness: readonly ReadinessCheck[];
  close(): Promise<void>;
}

export interface LimitStoreOptions {
  /** REDIS_URL alone, as before REDIS_SENTINELS and REDIS_CLUSTER_NODES; `redis` wins when both are given. */
  readonly redisUrl?: string | undefined;
  /** Which Redis (config.rateLimit.redis); in memory when neither this nor `redisUrl` is set. */
  readonly redis?: RedisTarget | undefined;
  readonly failOpen: boolean;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Key prefix in Redis; tests give each app its own. */
  readonly prefix?: string;
  /** Longest a request waits on Redis, in all (REDIS_TIMEOUT_MS). */
  readonly timeoutMs?: number;
}

/**
 * @example
 * const stores = createLimitStores({ redis: config.rateLimit.redis, failOpen: true, logger, metrics });
 */
export function createLimitStores({ redisUrl, redis: target, failOpen, logger, metrics, prefix = 'tokenvend:rl:', timeoutMs = 1000 }: LimitStoreOptions): LimitStores {
  const chosen: RedisTarget | undefined = target ?? (redisUrl === undefined ? undefined : { kind: 'single', url: redisUrl });
  if (chosen === undefined) {
    const callers = new MemoryStore();
    const authFailures = new MemoryStore();
    return {
      callers,
      authFailures,
      redis: undefined,
      assertionReplay: createMemoryReplayStore(),
      readiness: [],
      async close() {
        callers.shutdown();
        authFailures.shutdown();
      },
    };
  }

  const redis = connectSharedRedis(chosen, logger, timeoutMs);
  // Every store error line names where Redis is (never its credentials).
  const address = chosen.kind === 'single' ? redisAddress(chosen.url) : (chosen.kind === 'sentinel' ? chosen.sentinels : chosen.nodes).map(({ host, port }) => `${host}:${port}`).join(',');
  const onError = createStoreErrorReporter(logger, metrics, failOpen, undefined, undefined, () => ({ redis: address, cause: redis.cause() }));
  // One health for both: a request's address check and caller limit wait one bound in all.
  const health = createStoreHealth();
  const redisStore = () => guardStore(createBatchingRedisStore({ redis, prefix }), { timeoutMs, onError, health });
  return {
    callers: redisStore(),
    authFailures: redisStore(),
    redis,
    assertionReplay: createRedisReplayStore({ sendCommand: async (args) => ((await redis.setIfAbsent(args[1] as string, Number(args[5]))) ? 'OK' : null), prefix: `${prefix}jti:`, timeoutMs }),
    readiness: [
      {
        name: 'rateLimitStore',
        // A real round trip: a connected Redis that stopped answering is not ready either.
        check: () => withTimeout(redis.ping(), timeoutMs).then(
          () => 'ok' as const,
          () => (failOpen ? ('degraded' as const) : ('down' as const)),
        ),
      },
    ],
    close: () => redis.close(),
  };
}
