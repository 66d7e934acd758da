/** Counts every rate-limit store error and logs them without flooding: one line per interval. */
import type { Logger } from '../logging/create-logger.js';
import type { Metrics } from '../metrics/metrics.js';

/**
 * @example
 * const report = createStoreErrorReporter(logger, metrics, true);
 * report(new Error('ECONNREFUSED'));
 */
export function createStoreErrorReporter(logger: Logger, metrics: Metrics, failOpen: boolean, intervalMs = 10_000, clock: () => number = Date.now) {
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
      { event: 'rate_limit.store_error', error: describe(error), suppressed, failOpen },
      failOpen ? 'rate-limit store failed; serving without limits (fail-open)' : 'rate-limit store failed; refusing token requests (fail-closed)',
    );
    suppressed = 0;
  };
}

/** The error's class and code only: a client's message may quote its connection URL. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const code = (error as NodeJS.ErrnoException).code;
  return code ? `${error.name} (${code})` : error.name;
}
