/** Reloads CALLERS_FILE into the caller registry: the reloading file (config/reloading-file.ts) with the CALLERS parser. */
import { ConfigError } from '../config/config-error.js';
import { createReloadingFile, type ReloadingFile } from '../config/reloading-file.js';
import type { Logger } from '../logging/create-logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { parseCallers } from './caller.js';
import type { CallerRegistry } from './caller-registry.js';

export interface CallersReloaderOptions {
  readonly path: string;
  readonly initialContent: string;
  readonly registry: CallerRegistry;
  /** TOKEN_AUDIENCE: callers' audiences must be among them, as at start-up. */
  readonly audiences: readonly string[];
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly debounceMs?: number;
}

/**
 * A removed caller's next request is refused; its tokens already issued live until they expire. A
 * broken file is refused whole, the callers in hand stay, tokenvend_callers_reload_failures_total
 * counts it, and the log names the entry and the problem (never a key hash).
 *
 * @example
 * const callersFile = createCallersReloader({ path, initialContent, registry, audiences, logger, metrics });
 * callersFile.watch();
 */
export function createCallersReloader({ path, initialContent, registry, audiences, logger, metrics, debounceMs }: CallersReloaderOptions): ReloadingFile {
  return createReloadingFile({
    variable: 'CALLERS_FILE',
    path,
    initialContent,
    event: 'callers',
    logger,
    ...(debounceMs !== undefined && { debounceMs }),
    parse: (content) => parseCallers(content, 'CALLERS_FILE', { audiences }),
    isRejection: (error) => error instanceof ConfigError,
    // Its message starts with the variable, which the log line already names.
    reasonOf: (error) => (error as ConfigError).problem,
    apply: (callers) => registry.replace(callers),
    describe: (callers) => ({ callers: callers.length }),
    onRejected: () => metrics.callersReloadFailed(),
  });
}
