/** Builds the real app in one line: real config loader, real keys, real signer, real limiter stores, logs captured. */
import type { Express } from 'express';
import { createCallerRegistry, type CallerRegistry } from '../../src/auth/caller-registry.js';
import { loadConfig, type Environment } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/config.js';
import { createApp } from '../../src/http/create-app.js';
import { createKeyRing, type KeyRing } from '../../src/keys/key-ring.js';
import { publishKeyInfo } from '../../src/keys/key-set-reloader.js';
import { loadOrgKeys, loadSigningKeys } from '../../src/keys/load-signing-keys.js';
import { createLogger } from '../../src/logging/create-logger.js';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js';
import { createServiceSigningThread } from '../../src/server/service-signing-thread.js';
import { createLimitStores, type LimitStores } from '../../src/rate-limit/create-limit-stores.js';

export interface TestApp {
  readonly app: Express;
  readonly config: Config;
  readonly keyRing: KeyRing;
  readonly callers: CallerRegistry;
  readonly metrics: Metrics;
  readonly stores: LimitStores;
  /** Every log line written, parsed. */
  readonly logs: Array<Record<string, unknown>>;
  /** Every log line written, raw. */
  readonly rawLogs: string[];
  /** Releases the limiter stores (the Redis connection, if any). */
  close(): Promise<void>;
}

export interface BuildOptions {
  readonly clock?: () => number;
  /** Key prefix in Redis, so that tests sharing one Redis do not share counters unless they mean to. */
  readonly redisPrefix?: string;
  readonly storeTimeoutMs?: number;
  /** The signing thread, which EC and EdDSA keys use as in the service: `cores` (this machine's unless given) below 2 means none. */
  readonly signingThread?: { readonly workerUrl?: URL; readonly cores?: number };
}

export async function buildApp(env: Environment, options: BuildOptions = {}): Promise<TestApp> {
  const config = loadConfig(env);
  const rawLogs: string[] = [];
  const logger = createLogger(config.logLevel, { write: (line: string) => void rawLogs.push(line) });
  const signingThread = createServiceSigningThread(logger, options.signingThread);
  await signingThread?.start();
  const serviceKeys = await loadSigningKeys(config, { signingThread });
  const keyRing = createKeyRing(serviceKeys, await loadOrgKeys(config, serviceKeys, { signingThread }));
  const metrics = createMetrics({ defaultMetrics: false });
  publishKeyInfo(keyRing, metrics);
  const stores = createLimitStores({
    redis: config.rateLimit.redis,
    failOpen: config.rateLimit.failOpen,
    logger,
    metrics,
    ...(options.redisPrefix !== undefined && { prefix: options.redisPrefix }),
    ...(options.storeTimeoutMs !== undefined && { timeoutMs: options.storeTimeoutMs }),
  });
  const callers = createCallerRegistry(config.callers ?? []);
  const app = createApp({
    config,
    logger,
    keyRing,
    callers,
    metrics,
    stores,
    readinessChecks: stores.readiness,
    ...(options.clock && { clock: options.clock }),
  });
  return {
    app,
    config,
    keyRing,
    callers,
    metrics,
    stores,
    rawLogs,
    get logs() {
      return rawLogs.map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    close: async () => {
      await Promise.all([stores.close(), signingThread?.close()]);
    },
  };
}
