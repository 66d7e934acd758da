/**
 * Bench only: tokenvend assembled as src/server/main.ts does it, minus the rate limiter and the metrics,
 * so that `1 - limited/bare` is what those two cost. Audit logging, security headers, authentication and
 * org policy stay on. Keep the assembly in step with src/server/main.ts.
 */
import type { AddressInfo } from 'node:net';
import type { RequestHandler } from 'express';
import { Registry } from 'prom-client';
import { createCallerRegistry } from '../src/auth/caller-registry.js';
import { ConfigError } from '../src/config/config-error.js';
import { loadConfig } from '../src/config/load-config.js';
import { createApp } from '../src/http/create-app.js';
import { createKeyRing } from '../src/keys/key-ring.js';
import { loadSigningKeys } from '../src/keys/load-signing-keys.js';
import { createLogger } from '../src/logging/create-logger.js';
import type { Metrics } from '../src/metrics/metrics.js';
import type { AuthFailureGuard } from '../src/rate-limit/auth-failure-guard.js';

const noop = (): void => undefined;

/** Every observation dropped; the registry stays empty. */
const noMetrics: Metrics = {
  registry: new Registry(),
  tokenIssued: noop,
  signDuration: noop,
  rejected: noop,
  httpRequest: noop,
  storeError: noop,
  keyReloadFailed: noop,
  signingKeys: noop,
};

const passThrough: RequestHandler = (_req, _res, next) => next();
const noGuard: AuthFailureGuard = { check: () => undefined, recordFailure: async () => undefined };

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  // The demo mode's ephemeral caller key would be unknown to the load generator.
  if (config.demo || !config.callers) throw new Error('tokenvend-bare-server needs a configured key and CALLERS (NODE_ENV=production)');
  const logger = createLogger(config.logLevel);
  const keyRing = createKeyRing(await loadSigningKeys(config));
  const callers = createCallerRegistry(config.callers);

  const app = createApp({ config, logger, keyRing, callers, metrics: noMetrics, limits: { limitCaller: passThrough, authFailureGuard: noGuard }, serveMetrics: false });
  const server = app.listen(config.port, config.host ?? '::', () => {
    const { port, address } = server.address() as AddressInfo;
    logger.info(
      { event: 'listening', port, address, mode: config.mode, demo: false, alg: keyRing.active?.alg, kid: keyRing.active?.kid, callers: callers.size, rateLimitStore: 'none', metrics: 'none' },
      'tokenvend (bare: no limiter, no metrics) listening',
    );
  });
  server.once('error', (error) => {
    process.stderr.write(`tokenvend-bare-server: failed to start: ${error.message}\n`);
    process.exit(1);
  });
  const stop = (): void => {
    server.close(() => logger.flush(() => process.exit(0)));
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  const line = error instanceof ConfigError ? `configuration error: ${error.message}` : `failed to start: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`tokenvend-bare-server: ${line}\n`);
  process.exit(1);
});
