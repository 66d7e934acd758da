/**
 * Bench only: tokenvend started exactly as src/server/main.ts starts it, minus the rate limiter and
 * the metrics, so that `1 - limited/bare` is what those two cost. Audit logging, security headers,
 * authentication and org policy stay on.
 */
import type { RequestHandler } from 'express';
import { Registry } from 'prom-client';
import { ConfigError } from '../src/config/config-error.js';
import type { Metrics } from '../src/metrics/metrics.js';
import type { AuthFailureGuard } from '../src/rate-limit/auth-failure-guard.js';
import { startService } from '../src/server/start-service.js';

const noop = (): void => undefined;

/** Every observation dropped; the registry stays empty. */
const noMetrics: Metrics = {
  registry: new Registry(),
  tokenIssued: noop,
  signDuration: noop,
  rejected: noop,
  clientAuthentication: noop,
  httpRequest: noop,
  storeError: noop,
  keyReloadFailed: noop,
  callersReloadFailed: noop,
  orgKeys: noop,
  signingKeys: noop,
};

const passThrough: RequestHandler = (_req, _res, next) => next();
const noGuard: AuthFailureGuard = { countFailure: async () => undefined };

startService(process.env, { metrics: noMetrics, limits: { limitCaller: passThrough, authFailureGuard: noGuard } }).catch((error: unknown) => {
  const line = error instanceof ConfigError ? `configuration error: ${error.message}` : `failed to start: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`tokenvend-bare-server: ${line}\n`);
  process.exit(1);
});
