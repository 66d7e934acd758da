/**
 * A worker thread that verifies private_key_jwt client assertions for the event loop, a batch per message.
 *
 * Why: jose's jwtVerify of an ES256 assertion costs the event loop about 65 µs (decoding, claims,
 * and WebCrypto's own JavaScript around the signature check), on top of all a token request
 * already costs there. The event loop is what limits a token endpoint on a small machine, so the
 * assertions requested while it works go to this thread together, at the end of the event-loop
 * turn: the event loop then pays about 7 µs per assertion (measured with 32 in flight).
 *
 * Only assertions checked against an inline `jwks` come here; a `jwksUri` set is fetched and cached
 * on the event loop. Verifying is pure, so whenever the thread cannot answer (it failed, stopped,
 * or took longer than `timeoutMs`) the assertion is verified on the event loop instead, and the
 * event loop keeps verifying for a while (1 s, doubling to 1 min while failures repeat). *
 * What is left of the cost, measured on the 2-core bench VM (interleaved A/B, 7 rounds of 5 s):
 * a private_key_jwt token costs about 270 µs of CPU where a POST /tokens one costs 110; the
 * verification is about 120 µs of it (OpenSSL's P-256 verify 74 µs, the rest jose's and WebCrypto's
 * JavaScript and WebCrypto's hop through libuv's pool). Signing in the same hop, once the assertion
 * verified, gained nothing (1.00x, the upper bound, with the signature faked). Verifying with
 * node:crypto instead of jose gained 1.20x: that would be JWS verification written by hand on an
 * authentication boundary, which this service leaves to jose.
 */
import { Worker } from 'node:worker_threads';
import { DEFAULT_TIMEOUT_MS, gatherPerTurn, nextPause, tellFailure, workerOptions, type BatchThreadOptions } from '../threads/batch-thread.js';

/** What jwtVerify is asked besides the key set, the audiences and the date; the same for every assertion. */
export interface AssertionRules {
  readonly algorithms: string[];
  readonly requiredClaims: string[];
  readonly clockTolerance: number;
}

export interface AssertionCheck {
  readonly assertion: string;
  /** The client id: the assertion's required `iss` and `sub`. */
  readonly clientId: string;
  /** The caller's public JWK Set, as JSON. */
  readonly keys: string;
  /** The values `aud` may take, as JSON. */
  readonly audiences: string;
  readonly nowMs: number;
}

/** The claims the endpoint still checks after the signature, or which of jose's checks failed (its error `code`, and `claim`). */
export type AssertionOutcome =
  | { readonly payload: { readonly exp?: unknown; readonly iat?: unknown; readonly jti?: unknown } }
  | { readonly failure: { readonly code?: string; readonly claim?: string } };

/**
 * One message to the thread. Key sets and audience lists are long and repeat, so each text is sent
 * once per thread under a number (`texts`), and a check names it by that number: cloning a batch then
 * costs the event loop about as much as its assertions.
 */
export interface AssertionBatch {
  readonly id: number;
  readonly rules: AssertionRules;
  /** Texts the thread has not been sent yet, as [number, text]. */
  readonly texts: ReadonlyArray<readonly [number, string]>;
  /** Per assertion: [assertion, client id, key set's number, audiences' number, now in ms]. */
  readonly checks: ReadonlyArray<readonly [string, string, number, number, number]>;
}

export interface AssertionBatchReply {
  readonly id: number;
  readonly outcomes: readonly AssertionOutcome[];
}

export interface AssertionThread {
  /** Verifies on the thread; `here` verifies on the event loop, and is used whenever the thread cannot answer. */
  verify(check: AssertionCheck, here: () => Promise<AssertionOutcome>): Promise<AssertionOutcome>;
  /** Stops the thread for good; what it held, and everything later, is verified on the event loop. */
  close(): Promise<void>;
}

/** Its onFailure is told how long the event loop now verifies. */
export type AssertionThreadOptions = BatchThreadOptions;

/** Key sets and audience lists one thread holds before it is replaced by a fresh one. */
const MAX_TEXTS = 4096;

/** Sixteen: a turn's assertions go together, and the thread's first checks start while the event loop reads on. */
export const DEFAULT_MAX_BATCH = 16;

const WORKER_URL = new URL('./assertion-thread-worker.js', import.meta.url);

interface Pending {
  readonly check: AssertionCheck;
  readonly here: () => Promise<AssertionOutcome>;
  readonly resolve: (outcome: AssertionOutcome) => void;
  readonly reject: (error: unknown) => void;
}

interface RunningThread {
  readonly worker: Worker;
  /** Set by stop(): the worker's exit after terminate() (or its error, then its exit) must not count as a second failure. */
  stopped: boolean;
  /** The number each text was sent under; the thread holds them until it ends. */
  readonly textNumbers: Map<string, number>;
  /** Batches sent and not yet answered, by id. */
  readonly inFlight: Map<number, readonly Pending[]>;
  /** Runs while batches are in flight: the oldest must be answered before it fires. */
  deadline: NodeJS.Timeout | undefined;
}

/** Verifies on the event loop, settling `item` with the outcome. */
const verifyHere = (item: Pending): void => void item.here().then(item.resolve, item.reject);

/**
 * Starts no thread until the first assertion; the thread never keeps the process alive while idle.
 *
 * @example
 * const thread = createAssertionThread({ onFailure: (error) => logger.error({ err: error }, 'assertion thread failed') });
 * const outcome = await thread.verify({ assertion, keys: JSON.stringify(caller.jwks), nowMs: Date.now(), options }, () => verifyOnEventLoop());
 */
export function createAssertionThread(
  rules: AssertionRules,
  {
  maxBatch = DEFAULT_MAX_BATCH,
  timeoutMs = DEFAULT_TIMEOUT_MS,
  onFailure = () => undefined,
  workerUrl = WORKER_URL,
  clock = Date.now,
}: AssertionThreadOptions = {},
): AssertionThread {
  let running: RunningThread | undefined;
  let nextId = 0;
  let closed = false;
  let pauseMs = 0;
  let hereUntil = 0;

  function launch(): RunningThread {
    const worker = new Worker(workerUrl, workerOptions());
    const thread: RunningThread = { worker, stopped: false, textNumbers: new Map(), inFlight: new Map(), deadline: undefined };
    worker.unref();
    worker.on('message', (reply: AssertionBatchReply) => {
      const batch = thread.inFlight.get(reply?.id);
      if (!batch || !Array.isArray(reply.outcomes) || reply.outcomes.length !== batch.length) {
        stop(thread, new Error('The assertion thread answered a batch it was not sent; stopped it'));
        return;
      }
      thread.inFlight.delete(reply.id);
      if (thread.inFlight.size === 0) idle(thread);
      else thread.deadline?.refresh();
      pauseMs = 0;
      batch.forEach((item, index) => item.resolve(reply.outcomes[index] as AssertionOutcome));
    });
    worker.on('messageerror', (error) => stop(thread, new Error('The assertion thread sent a message that could not be read', { cause: error })));
    worker.on('error', (error) => stop(thread, new Error(`The assertion thread failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => stop(thread, new Error(`The assertion thread exited (code ${code})`)));
    return thread;
  }

  function idle(thread: RunningThread): void {
    thread.worker.unref();
    clearTimeout(thread.deadline);
    thread.deadline = undefined;
  }

  /** Ends a thread: what it held is verified on the event loop, and so is everything for a while. */
  function stop(thread: RunningThread, error: Error | undefined): void {
    if (thread.stopped) return;
    thread.stopped = true;
    if (running === thread) running = undefined;
    const lost = [...thread.inFlight.values()].flat();
    thread.inFlight.clear();
    idle(thread);
    void thread.worker.terminate();
    for (const item of lost) verifyHere(item);
    if (error === undefined || closed) return;
    pauseMs = nextPause(pauseMs);
    hereUntil = clock() + pauseMs;
    tellFailure(onFailure, error, pauseMs);
  }

  const verifyingHere = (): boolean => closed || (running === undefined && clock() < hereUntil);

  function send(batch: Pending[]): void {
    if (verifyingHere()) {
      batch.forEach(verifyHere);
      return;
    }
    // A thread holds every key set and audience list it was sent; one that holds many (callers reloaded often) is replaced once idle.
    if (running && running.textNumbers.size >= MAX_TEXTS && running.inFlight.size === 0) stop(running, undefined);
    let thread: RunningThread;
    try {
      thread = running ??= launch();
    } catch {
      // No thread can be made (a process or container thread limit): the event loop verifies.
      batch.forEach(verifyHere);
      return;
    }
    const id = (nextId = (nextId + 1) % Number.MAX_SAFE_INTEGER);
    const texts: Array<[number, string]> = [];
    const numberOf = (text: string): number => {
      let number = thread.textNumbers.get(text);
      if (number === undefined) {
        thread.textNumbers.set(text, (number = thread.textNumbers.size));
        texts.push([number, text]);
      }
      return number;
    };
    const checks = batch.map(({ check }) => [check.assertion, check.clientId, numberOf(check.keys), numberOf(check.audiences), check.nowMs] as const);
    try {
      thread.worker.postMessage({ id, rules, texts, checks } satisfies AssertionBatch);
    } catch (error) {
      // The thread's table of texts no longer matches this side's: end it, and verify here.
      stop(thread, new Error('The assertions could not be sent to the assertion thread', { cause: error }));
      batch.forEach(verifyHere);
      return;
    }
    thread.inFlight.set(id, batch);
    if (thread.inFlight.size === 1) {
      thread.worker.ref();
      thread.deadline = setTimeout(() => stop(thread, new Error(`The assertion thread did not answer within ${timeoutMs} ms; stopped it`)), timeoutMs);
      thread.deadline.unref();
    }
  }

  const add = gatherPerTurn(maxBatch, send);

  return {
    verify(check, here) {
      if (verifyingHere()) return here();
      return new Promise((resolve, reject) => add({ check, here, resolve, reject }));
    },

    async close() {
      closed = true;
      const thread = running;
      if (!thread) return;
      stop(thread, undefined);
      await thread.worker.terminate();
    },
  };
}
