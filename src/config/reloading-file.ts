/**
 * One way to watch a file: SIGNING_KEYS_FILE, ORG_KEYS_FILE and CALLERS_FILE are each "a file that is
 * validated whole, swapped atomically, kept when broken, counted when it fails, reloaded on SIGHUP or
 * change". This is that, once, parameterised by the file's parser and what applying it means.
 */
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Logger } from '../logging/create-logger.js';

export interface ReloadingFile {
  /** Reads the file now; resolves true when new content was validated and applied. */
  reload(trigger: string): Promise<boolean>;
  /** Starts watching the file's folder. */
  watch(): void;
  close(): void;
}

export interface ReloadingFileOptions<T> {
  /** The variable naming the file, for log lines (`ORG_KEYS_FILE`). */
  readonly variable: string;
  readonly path: string;
  /** The content the running service was built from, so that an unchanged file is not reloaded. */
  readonly initialContent: string;
  /** Validates the whole file; throws an error whose message names the place and the problem, never the content. */
  readonly parse: (content: string) => T | Promise<T>;
  /** True for the errors `parse` throws about the content (their messages are safe to log); anything else is logged by name only. */
  readonly isRejection: (error: unknown) => boolean;
  /** The reason logged for a rejection; the error's message unless given. */
  readonly reasonOf?: (error: Error) => string;
  /** Swaps the parsed value in, at once. */
  readonly apply: (value: T) => void;
  /** Log fields describing what was applied (ids, counts; never material). */
  readonly describe?: (value: T) => Record<string, unknown>;
  /** Told of every rejected reload (the metric). */
  readonly onRejected: () => void;
  readonly logger: Logger;
  /** The prefix of the log events: `keys` gives keys.reloaded, keys.reload_failed, keys.reload_recovered. */
  readonly event: string;
  /** Editors and `mv` raise several events per change; they are coalesced over this delay. */
  readonly debounceMs?: number;
}

const digest = (content: string): string => createHash('sha256').update(content).digest('hex');

/**
 * @example
 * const callersFile = createReloadingFile({ variable: 'CALLERS_FILE', path, initialContent, parse, isRejection, apply, onRejected, logger, event: 'callers' });
 * callersFile.watch();
 * process.on('SIGHUP', () => void callersFile.reload('SIGHUP'));
 */
export function createReloadingFile<T>(options: ReloadingFileOptions<T>): ReloadingFile {
  const { variable, path, parse, isRejection, reasonOf = (error) => error.message, apply, describe = () => ({}), onRejected, logger, event, debounceMs = 100 } = options;
  let loadedDigest = digest(options.initialContent);
  let failing = false;
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  // Reloads run one after another, so two quick changes can never apply out of order.
  let queue: Promise<boolean> = Promise.resolve(false);

  async function load(trigger: string): Promise<boolean> {
    let content: string;
    try {
      content = await readFile(path, 'utf8');
    } catch (error) {
      return reject(trigger, `cannot read the file ${resolve(path)} (${(error as NodeJS.ErrnoException).code ?? 'read error'})`);
    }
    const contentDigest = digest(content);
    if (contentDigest === loadedDigest && !failing) return false;
    let value: T;
    try {
      value = await parse(content);
    } catch (error) {
      if (isRejection(error)) return reject(trigger, reasonOf(error as Error));
      throw error;
    }
    apply(value);
    loadedDigest = contentDigest;
    if (failing) {
      failing = false;
      logger.info({ event: `${event}.reload_recovered`, trigger, ...describe(value) }, `${variable} is valid again; reloaded`);
    }
    logger.info({ event: `${event}.reloaded`, trigger, ...describe(value) }, `${variable} reloaded`);
    return true;
  }

  function reject(trigger: string, reason: string): false {
    failing = true;
    onRejected();
    logger.warn({ event: `${event}.reload_failed`, trigger, reason }, `${variable} rejected; keeping what is in hand`);
    return false;
  }

  const reload = (trigger: string): Promise<boolean> => {
    // Whatever one reload meets, the next one still runs, and no rejection goes unhandled.
    queue = queue.then(() => load(trigger).catch((error: unknown) => reject(trigger, `unexpected ${error instanceof Error ? error.name : 'error'}`)));
    return queue;
  };

  return {
    reload,
    watch() {
      // The folder, not the file: an atomic rename (or a Kubernetes secret's symlink swap) replaces the inode a file watch would follow.
      watcher = watch(dirname(path), () => {
        clearTimeout(timer);
        timer = setTimeout(() => void reload('file-change'), debounceMs);
      });
      watcher.on('error', (error) => logger.warn({ event: `${event}.watch_failed`, error: error.name }, `cannot watch ${variable}; SIGHUP still reloads`));
      watcher.unref();
    },
    close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
