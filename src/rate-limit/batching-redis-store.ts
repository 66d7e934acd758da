/**
 * A rate-limit store in Redis (express-rate-limit's `Store`) that sends each key's increments of one
 * event-loop turn as one command: `INCRBY key n`, and `PEXPIRE` when the window is new, in one Lua
 * script. Each request of the batch gets its own running total (the first `total - n + 1`, the last
 * `total`), exactly what n separate `INCR`s would have answered: no request is ever let through that a
 * command per request would have refused, across any number of replicas. What batching saves is the
 * per-command work on both sides: at 15,000 tokens/s a turn holds tens of requests, and Redis and
 * this process handle one command for them instead of one each.
 *
 * Every key a script touches is its one KEYS[1], so it runs on a single server, a Sentinel-managed
 * master and a Cluster alike (the Cluster routes it by that key's slot).
 */
import { createHash } from 'node:crypto';
import type { ClientRateLimitInfo, IncrementResponse, Options, Store } from 'express-rate-limit';
import type { SharedRedis } from './shared-redis.js';

/** Adds ARGV[1] hits; a key without expiry (a new window) expires after ARGV[2] ms. Returns { total, ms left }. */
const INCREMENT = `local total = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return { total, ttl }`;

/** Returns { hits, ms left }; hits 0 when the window has ended. */
const READ = `local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
return { hits, redis.call('PTTL', KEYS[1]) }`;

/** Takes one hit back, never below zero and never creating the key. */
const DECREMENT = `if redis.call('GET', KEYS[1]) and tonumber(redis.call('GET', KEYS[1])) > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0`;

interface Script {
  readonly source: string;
  readonly sha1: string;
}
const script = (source: string): Script => ({ source, sha1: createHash('sha1').update(source).digest('hex') });
const SCRIPTS = { increment: script(INCREMENT), read: script(READ), decrement: script(DECREMENT) } as const;

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

export interface BatchingRedisStoreOptions {
  readonly redis: SharedRedis;
  /** Prepended to every key, e.g. `tokenvend:rl:`. */
  readonly prefix: string;
  /** Milliseconds since the epoch; Date.now unless given. */
  readonly clock?: () => number;
}

/**
 * @example
 * const store = createBatchingRedisStore({ redis, prefix: 'tokenvend:rl:' });
 * rateLimit({ store, windowMs: 60_000, limit: 600 });
 */
export function createBatchingRedisStore({ redis, prefix, clock = Date.now }: BatchingRedisStoreOptions): Store {
  let windowMs = 60_000;
  let increments = new Map<string, Array<Waiter<IncrementResponse>>>();
  let reads = new Map<string, Array<Waiter<ClientRateLimitInfo | undefined>>>();
  let scheduled = false;

  const run = async <T>(chosen: Script, key: string, args: readonly string[]): Promise<T> => {
    try {
      return await redis.send<T>(key, ['EVALSHA', chosen.sha1, '1', key, ...args]);
    } catch (error) {
      // A server that has not seen the script yet (a new master after failover, another Cluster node): send it whole once.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.send<T>(key, ['EVAL', chosen.source, '1', key, ...args]);
    }
  };

  const rejectAll = (waiters: ReadonlyArray<Waiter<never>>) => (error: unknown) => {
    for (const waiter of waiters) waiter.reject(error);
  };

  // setImmediate runs once this turn's I/O callbacks (and the promise jobs they started) are done:
  // every request read in the turn has asked by then.
  const flush = (): void => {
    scheduled = false;
    const [pendingIncrements, pendingReads] = [increments, reads];
    increments = new Map();
    reads = new Map();
    for (const [key, waiters] of pendingIncrements) {
      const n = waiters.length;
      run<[number, number]>(SCRIPTS.increment, key, [String(n), String(windowMs)]).then(([total, ttl]) => {
        const resetTime = new Date(clock() + ttl);
        // In arrival order, as n separate INCRs would have counted them.
        for (let index = 0; index < n; index += 1) (waiters[index] as Waiter<IncrementResponse>).resolve({ totalHits: total - n + index + 1, resetTime });
      }, rejectAll(waiters));
    }
    for (const [key, waiters] of pendingReads) {
      run<[number, number]>(SCRIPTS.read, key, []).then(([hits, ttl]) => {
        const info = hits > 0 && ttl > 0 ? { totalHits: hits, resetTime: new Date(clock() + ttl) } : undefined;
        for (const waiter of waiters) waiter.resolve(info);
      }, rejectAll(waiters));
    }
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };

  return {
    localKeys: false,
    prefix,
    init(options: Options) {
      windowMs = options.windowMs;
    },
    increment(key: string): Promise<IncrementResponse> {
      const full = prefix + key;
      let waiters = increments.get(full);
      if (waiters === undefined) {
        waiters = [];
        increments.set(full, waiters);
        schedule();
      }
      const list = waiters;
      return new Promise((resolve, reject) => void list.push({ resolve, reject }));
    },
    get(key: string): Promise<ClientRateLimitInfo | undefined> {
      const full = prefix + key;
      let waiters = reads.get(full);
      if (waiters === undefined) {
        waiters = [];
        reads.set(full, waiters);
        schedule();
      }
      const list = waiters;
      return new Promise((resolve, reject) => void list.push({ resolve, reject }));
    },
    async decrement(key: string): Promise<void> {
      await run(SCRIPTS.decrement, prefix + key, []);
    },
    async resetKey(key: string): Promise<void> {
      await redis.send(prefix + key, ['DEL', prefix + key]);
    },
  };
}
