/** The one Redis connection the limiters share: fails fast while offline and reconnects by itself. */
import { createClient, createCluster, createSentinel } from 'redis';
import type { RedisAuth, RedisNodeAddress } from '../config/config.js';
import type { Logger } from '../logging/create-logger.js';
import { describeRedisError, redisAddress } from './describe-redis-error.js';

export type RedisClient = ReturnType<typeof createClient>;
export type RedisSentinelClient = ReturnType<typeof createSentinel>;
export type RedisClusterClient = ReturnType<typeof createCluster>;

/** Why each client last failed to connect, for the store error lines (see redisConnectionCause). */
const connectionCauses = new WeakMap<RedisClient, () => string | undefined>();

/**
 * The cause of the client's last connection failure while it is not connected, else `undefined`.
 *
 * @example
 * redisConnectionCause(client); // 'ECONNREFUSED'
 */
export function redisConnectionCause(client: RedisClient): string | undefined {
  return connectionCauses.get(client)?.();
}

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
  // The URL may carry a password, and the client's messages may quote it: log host:port and the cause only.
  const redis = redisAddress(url);
  let connected = false;
  let cause: string | undefined;
  connectionCauses.set(client, () => (connected ? undefined : cause));
  logger.info({ event: 'redis.connecting', redis }, 'connecting to the rate-limit store');
  client.on('ready', () => {
    connected = true;
    cause = undefined;
    logger.info({ event: 'redis.ready', redis }, 'rate-limit store connected');
  });
  client.on('error', (error: unknown) => {
    const now = describeRedisError(error);
    const wasConnected = connected;
    connected = false;
    // While it retries, one line per new cause, not one per attempt.
    if (!wasConnected && now === cause) return;
    cause = now;
    if (wasConnected) logger.warn({ event: 'redis.disconnected', redis, cause }, 'rate-limit store connection lost; reconnecting');
    else logger.warn({ event: 'redis.unreachable', redis, cause }, 'rate-limit store unreachable; retrying');
  });
  void client.connect().catch(() => undefined);
  return client;
}

/** How long to wait before trying a node again: fast at first, never more than 2 s apart. */
const reconnectDelay = (retries: number): number => Math.min(100 * 2 ** retries, 2000);

/** The options every data-node connection gets: fail fast while offline, bounded connect, TLS as asked. */
function nodeOptions({ username, password, tls }: RedisAuth) {
  return {
    ...(username !== undefined && { username }),
    ...(password !== undefined && { password }),
    disableOfflineQueue: true,
    socket: { connectTimeout: 1000, reconnectStrategy: reconnectDelay, ...(tls && { tls: true as const }) },
  };
}

/** `host:port` list for logs: addresses only, never credentials. */
const addresses = (nodes: readonly RedisNodeAddress[]): string => nodes.map(({ host, port }) => `${host.includes(':') ? `[${host}]` : host}:${port}`).join(',');

/**
 * Logs ready and lost once per change of state (the client emits an error per failed attempt), and
 * keeps calling `connect` until it succeeds: node-redis gives up on a Sentinel set or a Cluster that
 * was unreachable at start, where a single client keeps reconnecting by itself.
 */
function keepConnected(kind: string, nodes: readonly RedisNodeAddress[], connect: () => Promise<unknown>, logger: Logger) {
  let connected = false;
  let closed = false;
  const onError = (error: unknown): void => {
    if (!connected) return;
    connected = false;
    logger.warn({ event: 'redis.disconnected', kind, nodes: addresses(nodes), cause: errorCode(error) }, 'shared store connection lost; reconnecting');
  };
  const attempt = (retries: number): void => {
    if (closed) return;
    connect().then(
      () => {
        connected = true;
        logger.info({ event: 'redis.ready', kind, nodes: addresses(nodes) }, 'shared store connected');
      },
      (error: unknown) => {
        if (retries === 0) logger.warn({ event: 'redis.unreachable', kind, nodes: addresses(nodes), cause: errorCode(error) }, 'shared store unreachable; retrying');
        setTimeout(() => attempt(retries + 1), reconnectDelay(retries)).unref();
      },
    );
  };
  return {
    /** The error listener each client gets (an EventEmitter without one would end the process). */
    onError,
    start: () => attempt(0),
    close: () => (closed = true),
  };
}

/** The error's class and code only: a client's message may quote an address with credentials. */
function errorCode(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const code = (error as NodeJS.ErrnoException).code;
  return code ? `${error.name} (${code})` : error.name;
}

export interface SentinelTarget extends RedisAuth {
  readonly sentinels: readonly RedisNodeAddress[];
  readonly masterName: string;
  readonly sentinelPassword: string | undefined;
}

/**
 * Connects to the master that a Sentinel set names, and follows it through failovers (node-redis
 * listens to the sentinels' `+switch-master`, and asks them again when the master stops answering).
 * `client()` is the current connection: one that never reached a master (node-redis gives up after
 * about 16 s of trying) is replaced by a new one.
 *
 * @example
 * const sentinel = connectSentinel({ sentinels: [{ host: '10.0.0.1', port: 26379 }], masterName: 'tokenvend', ...auth }, logger);
 * await sentinel.client().sendCommand(false, ['PING']);
 */
export function connectSentinel(target: SentinelTarget, logger: Logger): { client(): RedisSentinelClient; close(): Promise<void> } {
  const create = () =>
    createSentinel({
      name: target.masterName,
      sentinelRootNodes: target.sentinels.map(({ host, port }) => ({ host, port })),
      nodeClientOptions: nodeOptions(target),
      sentinelClientOptions: {
        ...(target.sentinelPassword !== undefined && { password: target.sentinelPassword }),
        socket: { connectTimeout: 1000, ...(target.tls && { tls: true as const }) },
      },
      masterPoolSize: 1,
      // Besides the sentinels' messages, ask them again every second: a failover is followed within about that.
      scanInterval: 1000,
      passthroughClientErrorEvents: true,
    });
  let client = create();
  let attempts = 0;
  const connection = keepConnected(
    'sentinel',
    target.sentinels,
    async () => {
      if (attempts > 0) {
        void client.destroy().catch(() => undefined);
        client = create();
        client.on('error', connection.onError);
      }
      attempts += 1;
      await client.connect();
    },
    logger,
  );
  client.on('error', connection.onError);
  connection.start();
  return {
    client: () => client,
    async close() {
      connection.close();
      await client.destroy().catch(() => undefined);
    },
  };
}

/**
 * Connects to a Redis Cluster through some of its nodes; the rest, and the slot map, are discovered
 * and followed through resharding and failover (MOVED / ASK).
 *
 * @example
 * const cluster = connectCluster([{ host: '10.0.0.1', port: 6379 }], auth, logger);
 */
export function connectCluster(nodes: readonly RedisNodeAddress[], auth: RedisAuth, logger: Logger): { client: RedisClusterClient; close(): Promise<void> } {
  const client = createCluster({
    rootNodes: nodes.map(({ host, port }) => ({ socket: { host, port } })),
    defaults: nodeOptions(auth),
    useReplicas: false,
  });
  const connection = keepConnected('cluster', nodes, () => client.connect(), logger);
  client.on('error', connection.onError);
  connection.start();
  return {
    client,
    async close() {
      connection.close();
      await client.destroy();
    },
  };
}
