/** Counts every rate-limit store error and logs them without flooding: one line per interval. */
import type { Logger } from '../logging/create-logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { describeRedisError } from './describe-redis-error.js';

/**
 * @example
 * const report = createStoreErrorReporter(logger, metrics, true);
 * report(new Error('ECONNREFUSED'));
 *
 * `context` adds what the store's connection says at the time of the line (its address, why it is down).
 */
export function createStoreErrorReporter(
  logger: Logger,
  metrics: Metrics,
  failOpen: boolean,
  intervalMs = 10_000,
  clock: () => number = Date.now,
  context: () => Readonly<Record<string, unknown>> = () => ({}),
) {
  let lastLogged = -Infinity;
  let suppressed = 0;
  return function reportStoreError(error: unknown): void {
    metrics.storeError();
    const now = clock();
    if (now - lastLogged < intervalMs) {
      suppressed += 1;
      return;
    }
    lastLogged = now;
    logger.warn(
      { event: 'rate_limit.store_error', error: describeRedisError(error), ...context(), suppressed, failOpen },
      failOpen ? 'rate-limit store failed; serving without limits (fail-open)' : 'rate-limit store failed; refusing token requests (fail-closed)',
    );
    suppressed = 0;
  };
}
