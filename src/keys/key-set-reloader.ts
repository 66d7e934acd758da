/**
 * Reloads SIGNING_KEYS_FILE on SIGHUP and whenever its folder changes (an edit, an atomic rename,
 * a Kubernetes secret's symlink swap). A file that does not parse or validate is rejected whole:
 * the keys in hand keep serving, the reason is logged and counted.
 */
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../logging/create-logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { KeyRing } from './key-ring.js';
import { KeySetError, parseKeySet } from './key-set.js';
import type { SigningThread } from './signing-thread.js';

export interface KeySetReloader {
  /** Reads the file now; resolves true when a new key set was swapped in. */
  reload(trigger: string): Promise<boolean>;
  /** Starts watching the file's folder. */
  watch(): void;
  close(): void;
}

export interface ReloaderOptions {
  readonly path: string;
  readonly keyRing: KeyRing;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Where the reloaded keys make EC and EdDSA signatures (create-signing-key.ts). */
  readonly signingThread?: SigningThread | undefined;
  /** The content the ring was built from, so that an unchanged file is not reloaded. */
  readonly initialContent: string;
  /** Editors and `mv` raise several events per change; they are coalesced over this delay. */
  readonly debounceMs?: number;
}

/** Keeps the metric in step with the ring: 1 for the key that signs, 0 for the others published. */
export function publishKeyInfo(keyRing: KeyRing, metrics: Metrics): void {
  const [active, ...others] = keyRing.keys;
  metrics.signingKeys(active, others);
}

/**
 * @example
 * const reloader = createKeySetReloader({ path, keyRing, logger, metrics, initialContent });
 * reloader.watch();
 * process.on('SIGHUP', () => void reloader.reload('SIGHUP'));
 */
export function createKeySetReloader({ path, keyRing, logger, metrics, signingThread, initialContent, debounceMs = 100 }: ReloaderOptions): KeySetReloader {
  const digest = (content: string) => createHash('sha256').update(content).digest('hex');
  let loadedDigest = digest(initialContent);
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  // Reloads run one after another, so two quick changes can never apply out of order.
  let queue: Promise<boolean> = Promise.resolve(false);

  async function load(trigger: string): Promise<boolean> {
    let content: string;
    try {
      content = await readFile(path, 'utf8');
    } catch (error) {
      return reject(trigger, `cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'read error'})`);
    }
    const contentDigest = digest(content);
    if (contentDigest === loadedDigest) return false;
    try {
      keyRing.replace(await parseKeySet(content, { signingThread }));
    } catch (error) {
      if (error instanceof KeySetError) return reject(trigger, error.message);
      throw error;
    }
    loadedDigest = contentDigest;
    publishKeyInfo(keyRing, metrics);
    logger.info(
      { event: 'keys.reloaded', trigger, active: keyRing.active?.kid, published: keyRing.keys.map((key) => key.kid) },
      'signing keys reloaded',
    );
    return true;
  }

  function reject(trigger: string, reason: string): false {
    metrics.keyReloadFailed();
    logger.warn({ event: 'keys.reload_failed', trigger, reason, active: keyRing.active?.kid }, `SIGNING_KEYS_FILE rejected; keeping the keys in hand`);
    return false;
  }

  const reload = (trigger: string): Promise<boolean> => {
    // Whatever one reload meets, the next one still runs, and no rejection goes unhandled.
    queue = queue.then(() =>
      load(trigger).catch((error: unknown) => reject(trigger, `unexpected ${error instanceof Error ? error.name : 'error'}`)),
    );
    return queue;
  };

  return {
    reload,
    watch() {
      // The folder, not the file: an atomic rename replaces the inode a file watch would follow.
      watcher = watch(dirname(path), () => {
        clearTimeout(timer);
        timer = setTimeout(() => void reload('file-change'), debounceMs);
      });
      watcher.on('error', (error) => logger.warn({ event: 'keys.watch_failed', error: error.name }, 'cannot watch SIGNING_KEYS_FILE; SIGHUP still reloads'));
      watcher.unref();
    },
    close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
