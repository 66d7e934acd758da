/** The one Redis connection the limiters share: fails fast while offline and reconnects by itself. */
import { createClient } from 'redis';
import type { Logger } from '../logging/create-logger.js';

export type RedisClient = ReturnType<typeof createClient>;

/**
 * Creates the client and starts connecting; it never throws or rejects for an unreachable Redis.
 *
 * @example
 * const client = connectRedis('redis://127.0.0.1:6379', logger);
 */
export function connectRedis(url: string, logger: Logger): RedisClient {
  const client = createClient({
    url,
    // Commands fail at once while disconnected instead of queueing behind a dead connection.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 1000,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000),
    },
  });
  let connected = false;
  client.on('ready', () => {
    connected = true;
    logger.info({ event: 'redis.ready' }, 'rate-limit store connected');
  });
  client.on('error', () => {
    // The URL may carry a password, and the client's message may quote it: log the state only.
    if (!connected) return;
    connected = false;
    logger.warn({ event: 'redis.disconnected' }, 'rate-limit store connection lost; reconnecting');
  });
  void client.connect().catch(() => undefined);
  return client;
}
