/** Reloads SIGNING_KEYS_FILE into the key ring: the reloading file (config/reloading-file.ts) with the key set's parser. */
import { createReloadingFile, type ReloadingFile } from '../config/reloading-file.js';
import type { Logger } from '../logging/create-logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { KeyRing } from './key-ring.js';
import { assertDistinctKids } from './key-ring.js';
import { KeySetError, parseKeySet } from './key-set.js';
import type { SigningThread } from './signing-thread.js';

export type KeySetReloader = ReloadingFile;

export interface ReloaderOptions {
  readonly path: string;
  readonly keyRing: KeyRing;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Where the reloaded keys make EC and EdDSA signatures (create-signing-key.ts). */
  readonly signingThread?: SigningThread | undefined;
  /** The content the ring was built from, so that an unchanged file is not reloaded. */
  readonly initialContent: string;
  readonly debounceMs?: number;
}

/** Keeps the metrics in step with the ring: 1 for the key that signs, 0 for the others published; the number of org keys. */
export function publishKeyInfo(keyRing: KeyRing, metrics: Metrics): void {
  const [active, ...others] = keyRing.keys;
  metrics.signingKeys(active, others);
  metrics.orgKeys(keyRing.orgKeys.size);
}

/**
 * @example
 * const reloader = createKeySetReloader({ path, keyRing, logger, metrics, initialContent });
 * reloader.watch();
 * process.on('SIGHUP', () => void reloader.reload('SIGHUP'));
 */
export function createKeySetReloader({ path, keyRing, logger, metrics, signingThread, initialContent, debounceMs }: ReloaderOptions): KeySetReloader {
  return createReloadingFile({
    variable: 'SIGNING_KEYS_FILE',
    path,
    initialContent,
    event: 'keys',
    logger,
    ...(debounceMs !== undefined && { debounceMs }),
    parse: async (content) => {
      const keys = await parseKeySet(content, { signingThread });
      assertDistinctKids(keys, keyRing.orgKeys, (problem) => new KeySetError(problem));
      return keys;
    },
    isRejection: (error) => error instanceof KeySetError,
    apply: (keys) => {
      keyRing.replace(keys);
      publishKeyInfo(keyRing, metrics);
    },
    describe: () => ({ active: keyRing.active?.kid, published: keyRing.keys.map((key) => key.kid) }),
    onRejected: () => metrics.keyReloadFailed(),
  });
}
