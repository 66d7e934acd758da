/**
 * The Redis every replica shares, whichever kind it is (one server, a Sentinel set, a Cluster), behind
 * one small interface: the counters, the failed-authentication guard and any other shared state (the
 * OAuth endpoint's assertion-replay store) send their commands through it.
 */
import type { RedisTarget } from '../config/config.js';
import type { Logger } from '../logging/create-logger.js';
import { connectCluster, connectRedis, connectSentinel, redisConnectionCause } from './redis-client.js';
import { withTimeout } from './with-timeout.js';

export interface SharedRedis {
  readonly kind: RedisTarget['kind'];
  /**
   * Sends one command. `key` is the key it works on: a Cluster sends the command to the node that
   * holds it, so every key a command touches must hash to `key`'s slot. Fails at once while offline.
   */
  send<T = unknown>(key: string | undefined, args: readonly string[]): Promise<T>;
  /** A real round trip, for /readyz. */
  ping(): Promise<void>;
  /**
   * Sets `key` unless it exists, expiring after `ttlMs`; true when this call set it (the first to
   * claim a one-time value, such as a client assertion's `jti`). Bounded by REDIS_TIMEOUT_MS; rejects
   * when Redis does not answer, so the caller decides whether to fail open or closed.
   *
   * @example
   * if (!(await redis.setIfAbsent(`tokenvend:jti:${jti}`, 300_000))) throw new ReplayError();
   */
  setIfAbsent(key: string, ttlMs: number): Promise<boolean>;
  /** Why the last connection attempt failed (ECONNREFUSED, WRONGPASS...), for log lines; never a credential. */
  cause(): string | undefined;
  close(): Promise<void>;
}

/**
 * @example
 * const redis = connectSharedRedis({ kind: 'single', url: 'redis://127.0.0.1:6379' }, logger, 1000);
 */
export function connectSharedRedis(target: RedisTarget, logger: Logger, timeoutMs: number): SharedRedis {
  const send = sender(target, logger);
  return {
    kind: target.kind,
    send: send.command,
    ping: async () => {
      await send.command(undefined, ['PING']);
    },
    setIfAbsent: async (key, ttlMs) => {
      const reply = await withTimeout(send.command(key, ['SET', key, '1', 'PX', String(Math.max(1, Math.ceil(ttlMs))), 'NX']), timeoutMs);
      return reply !== null;
    },
    cause: send.cause ?? (() => undefined),
    close: send.close,
  };
}

type Send = <T>(key: string | undefined, args: readonly string[]) => Promise<T>;

function sender(target: RedisTarget, logger: Logger): { command: Send; close(): Promise<void>; cause?: () => string | undefined } {
  switch (target.kind) {
    case 'single': {
      const client = connectRedis(target.url, logger);
      return {
        command: <T>(_key: string | undefined, args: readonly string[]) => client.sendCommand(args as string[]) as Promise<T>,
        cause: () => redisConnectionCause(client),
        close: async () => client.destroy(),
      };
    }
    case 'sentinel': {
      const sentinel = connectSentinel(target, logger);
      return {
        // Not read-only: every command goes to the master, so that each reply counts what every replica counted.
        command: <T>(_key: string | undefined, args: readonly string[]) => sentinel.client().sendCommand(false, args as string[]) as Promise<T>,
        close: sentinel.close,
      };
    }
    case 'cluster': {
      const cluster = connectCluster(target.nodes, target, logger);
      return {
        command: <T>(key: string | undefined, args: readonly string[]) => cluster.client.sendCommand(key, false, args as string[]) as Promise<T>,
        close: cluster.close,
      };
    }
  }
}
