/**
 * What the two worker threads of the service share (signing-thread.ts and oauth/assertion-thread.ts):
 * both take the work an event-loop turn gathers in one message, stop a thread that fails or stalls,
 * and do the work on the event loop for a pause that doubles while new threads keep failing.
 */
import type { WorkerOptions } from 'node:worker_threads';

/** The options both threads take. */
export interface BatchThreadOptions {
  /** Items per message at most; a full batch is sent at once instead of at the end of the turn. */
  readonly maxBatch?: number;
  /** A thread that has not answered the oldest message within this long is stopped. */
  readonly timeoutMs?: number;
  /** Told when the thread stopped with work in flight, and for how long the event loop now does the work. */
  readonly onFailure?: (error: Error, workingHereForMs: number) => void;
  /** The thread's script (tests substitute failing ones). */
  readonly workerUrl?: URL;
  /** Milliseconds; Date.now unless given. */
  readonly clock?: () => number;
}

/**
 * Calls `onFailure`, a reporting hook, where a throw would escape into a timer or a worker's event
 * (an uncaught exception, which ends the process): the thread's own bookkeeping is done by then, so a
 * hook that throws is turned into a process warning, and the service goes on.
 *
 * @example
 * tellFailure(onFailure, new Error('The signing thread exited'), 1000);
 */
export function tellFailure(onFailure: NonNullable<BatchThreadOptions['onFailure']>, error: Error, workingHereForMs: number): void {
  try {
    onFailure(error, workingHereForMs);
  } catch (thrown) {
    // Not String(thrown): an object without a prototype has no toString, and that throw would escape too.
    const what = thrown instanceof Error ? thrown.message : typeof thrown === 'string' ? thrown : 'a value that is not an Error';
    process.emitWarning(`onFailure threw while told "${error.message}": ${what}`, { code: 'TOKENVEND_ON_FAILURE_THREW' });
  }
}

/**
 * How both threads are started. A thread inherits the process's flags (Node's default, which skips
 * the process-wide ones such as --max-old-space-size: listed explicitly, those make `new Worker`
 * throw). Only under `node --input-type=... -e` does it get none, since --input-type would stop its
 * script from loading.
 *
 * @example
 * const worker = new Worker(workerUrl, workerOptions());
 */
export const workerOptions = (): WorkerOptions => (process.execArgv.some((flag) => flag.startsWith('--input-type')) ? { execArgv: [] } : {});

/** A few items take milliseconds at most; 5 s means the thread is stuck. */
export const DEFAULT_TIMEOUT_MS = 5000;
const FIRST_PAUSE_MS = 1000;
const MAX_PAUSE_MS = 60_000;

/**
 * The pause after a failure: 1 s after a thread that had been working, doubling up to a minute
 * while new threads keep failing (`pauseMs` is the last pause, 0 once a thread has answered).
 *
 * @example
 * pauseMs = nextPause(pauseMs); // 0 -> 1000 -> 2000 -> ... -> 60000
 */
export const nextPause = (pauseMs: number): number => Math.min(pauseMs === 0 ? FIRST_PAUSE_MS : pauseMs * 2, MAX_PAUSE_MS);

/**
 * Gathers items into batches: a batch goes to `send` as soon as `maxBatch` have gathered, else in
 * the check phase (setImmediate), after every socket that was readable this turn has been read.
 *
 * @example
 * const add = gatherPerTurn(8, (batch) => worker.postMessage(batch));
 * add(input); add(input); // one message, at the end of this turn
 */
export function gatherPerTurn<T>(maxBatch: number, send: (batch: T[]) => void): (item: T) => void {
  let pending: T[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    send(batch);
  };
  return (item) => {
    pending.push(item);
    if (pending.length >= maxBatch) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}
