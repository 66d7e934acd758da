/**
 * A worker thread that makes EC and EdDSA signatures for the event loop, a batch per message.
 *
 * Why: on the event loop an ES256 signature is about 32 µs of OpenSSL, a sixth of all a token
 * request costs there. On a machine with a core to spare it is better made on that core. Not one
 * thread hop per token (libuv's pool, as RSA does): queueing the job and collecting the result cost
 * the event loop about as much as the signature itself. Instead, the inputs requested while the
 * event loop works go to this thread together, as soon as `maxBatch` have gathered or at the end of
 * the event-loop turn, so the thread signs one batch while the event loop prepares the next. Inputs
 * and signatures travel as strings: cloning a Buffer would copy the whole 8 KiB slab it sits in.
 * Measured in interleaved A/B runs on the 2-core bench VM (autocannon, 50 clients): ES256 from 0.63x
 * to 0.69x of bare Express (10 rounds of 5 s), the event loop's CPU per token from about 315 to
 * 230 µs (6 rounds). Batches of 32 used a little less CPU but answered fewer tokens per second.
 * Measured again once requests no longer missed V8's inline caches (http/create-app-server.ts),
 * with the event loop at about 65 µs per token: 14,600 tokens/s with the thread, 10,100 without.
 *
 * If the thread stops, fails to answer in time or answers out of turn, what it held is refused
 * (SignerUnavailableError), and for a while (1 s, doubling to 1 min while it keeps failing)
 * signatures are made on the event loop, in batches, before a new thread is tried.
 */
import { Worker } from 'node:worker_threads';
import { DEFAULT_TIMEOUT_MS, gatherPerTurn, nextPause, tellFailure, workerOptions, type BatchThreadOptions } from '../threads/batch-thread.js';
import { signKeyInBatches } from './sign-in-batches.js';
import { SignerUnavailableError, type SignParams } from './signing-key.js';

/** One message to the thread: a batch of JWS signing inputs, and the key when it differs from the last batch's. */
export interface BatchMessage {
  readonly id: number;
  readonly params?: SignParams;
  readonly inputs: readonly string[];
}

/** The thread's answer: one base64url signature, or the error, per input, in order. */
export interface BatchReply {
  readonly id: number;
  readonly results: ReadonlyArray<string | Error>;
}

/** A signature OpenSSL refused: a fault, not something a retry mends. */
export class SigningThreadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SigningThreadError';
  }
}

/** Signs a JWS signing input (RFC 7515 §5.1) and resolves to the base64url signature. */
export type SignText = (signingInput: string) => Promise<string>;

export interface SigningThread {
  /** Starts the thread now, if it is not running, and resolves once it answers; rejects when it cannot start. */
  start(): Promise<void>;
  /** A signing function for one key; call it once per key and keep it. */
  signer(params: SignParams): SignText;
  /** Stops the thread for good; signatures still in flight are rejected, later ones are made on the event loop. */
  close(): Promise<void>;
}

/** Its onFailure is told how long the event loop now signs. */
export type SigningThreadOptions = BatchThreadOptions;

/**
 * Eight: sent as soon as eight have gathered, the thread's first signature starts while the event
 * loop still reads the turn's other requests; smaller batches cost more messages for no gain.
 */
export const DEFAULT_MAX_BATCH = 8;

const WORKER_URL = new URL('./signing-thread-worker.js', import.meta.url);


interface PendingSignature {
  readonly input: string;
  readonly resolve: (signature: string) => void;
  readonly reject: (error: unknown) => void;
}

/** A message sent and not yet answered. */
interface Exchange {
  readonly id: number;
  /** How many inputs it carries (none for start()). */
  readonly size: number;
  readonly answer: (results: ReadonlyArray<string | Error>) => void;
  readonly fail: (error: Error) => void;
}

interface RunningThread {
  readonly worker: Worker;
  /** Messages sent and not yet answered, oldest first: the thread answers in order. */
  readonly inFlight: Exchange[];
  /** The key the thread will sign the next batch with. */
  lastParams: SignParams | undefined;
  /** Runs while messages are in flight: the oldest must be answered before it fires. */
  deadline: NodeJS.Timeout | undefined;
}

/**
 * Starts no thread until asked to (start) or until the first batch; the thread never keeps the
 * process alive while idle.
 *
 * @example
 * const thread = createSigningThread({ onFailure: (error) => logger.error({ err: error }, 'signing thread failed') });
 * await thread.start();
 * const signEs256 = thread.signer({ digest: 'sha256', key: { key: privateKey, dsaEncoding: 'ieee-p1363' } });
 * const signature = await signEs256('eyJhbGciOiJFUzI1NiJ9.eyJvcmdJZCI6Im9yZ19hIn0');
 */
export function createSigningThread({
  maxBatch = DEFAULT_MAX_BATCH,
  timeoutMs = DEFAULT_TIMEOUT_MS,
  onFailure = () => undefined,
  workerUrl = WORKER_URL,
  clock = Date.now,
}: SigningThreadOptions = {}): SigningThread {
  let running: RunningThread | undefined;
  let nextId = 0;
  let closed = false;
  // After a failure the event loop signs until `signHereUntil`; the pause doubles while failures repeat.
  let pauseMs = 0;
  let signHereUntil = 0;

  function launch(): RunningThread {
    const worker = new Worker(workerUrl, workerOptions());
    const thread: RunningThread = { worker, inFlight: [], lastParams: undefined, deadline: undefined };
    // Idle, the thread must not keep the process alive; in flight, it must (see send).
    worker.unref();
    worker.on('message', (reply: BatchReply) => {
      const exchange = thread.inFlight[0];
      if (!exchange || reply.id !== exchange.id || reply.results.length !== exchange.size) {
        stop(thread, new SignerUnavailableError('The signing thread answered out of turn; stopped it'));
        return;
      }
      thread.inFlight.shift();
      if (thread.inFlight.length === 0) idle(thread);
      else thread.deadline?.refresh();
      if (exchange.size > 0) pauseMs = 0;
      exchange.answer(reply.results);
    });
    worker.on('messageerror', (error) => stop(thread, new SignerUnavailableError('The signing thread sent a message that could not be read', { cause: error })));
    worker.on('error', (error) => stop(thread, new SignerUnavailableError(`The signing thread failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => stop(thread, new SignerUnavailableError(`The signing thread exited (code ${code}) before answering`)));
    return thread;
  }

  function idle(thread: RunningThread): void {
    thread.worker.unref();
    clearTimeout(thread.deadline);
    thread.deadline = undefined;
  }

  /** Ends a thread: what it held fails; if that included signatures, the event loop signs for a while. */
  function stop(thread: RunningThread, error: Error): void {
    if (running === thread) running = undefined;
    const lost = thread.inFlight.splice(0);
    idle(thread);
    void thread.worker.terminate();
    for (const exchange of lost) exchange.fail(error);
    if (closed || !lost.some((exchange) => exchange.size > 0)) return;
    pauseMs = nextPause(pauseMs);
    signHereUntil = clock() + pauseMs;
    tellFailure(onFailure, error, pauseMs);
  }

  /** True while signatures are made on the event loop: after close(), or for a while after a failure. */
  const signingHere = (): boolean => closed || (running === undefined && clock() < signHereUntil);

  /** Sends one message; `params` only when the thread does not hold that key yet. */
  function send(params: SignParams | undefined, inputs: readonly string[], answer: Exchange['answer'], fail: Exchange['fail']): void {
    let thread: RunningThread;
    try {
      thread = running ??= launch();
    } catch (error) {
      // The thread could not even be created (a process or container thread limit).
      fail(new SignerUnavailableError('The signing thread could not be started', { cause: error }));
      return;
    }
    const exchange: Exchange = { id: (nextId = (nextId + 1) % Number.MAX_SAFE_INTEGER), size: inputs.length, answer, fail };
    const message: BatchMessage = { id: exchange.id, inputs, ...(params && thread.lastParams !== params && { params }) };
    try {
      thread.worker.postMessage(message);
    } catch (error) {
      // Nothing was sent (the key could not be cloned): this batch fails, the thread signs on.
      fail(new SigningThreadError('The signature could not be requested', { cause: error }));
      return;
    }
    if (params) thread.lastParams = params;
    thread.inFlight.push(exchange);
    if (thread.inFlight.length === 1) {
      thread.worker.ref();
      thread.deadline = setTimeout(() => stop(thread, new SignerUnavailableError(`The signing thread did not answer within ${timeoutMs} ms; stopped it`)), timeoutMs);
      thread.deadline.unref();
    }
  }

  return {
    start() {
      // An empty batch: answered once the thread has loaded its script, refused if it cannot.
      return new Promise((resolve, reject) => send(undefined, [], () => resolve(), reject));
    },

    signer(params) {
      const signHere = signKeyInBatches(params);
      // A batch goes out when `maxBatch` have gathered, or at the end of the turn (gatherPerTurn).
      const add = gatherPerTurn<PendingSignature>(maxBatch, (batch) => {
        if (signingHere()) {
          for (const { input, resolve, reject } of batch) signHere(input).then(resolve, reject);
          return;
        }
        send(
          params,
          batch.map(({ input }) => input),
          (results) =>
            batch.forEach(({ resolve, reject }, index) => {
              const result = results[index];
              if (typeof result === 'string') resolve(result);
              else reject(new SigningThreadError('The signature could not be made', { cause: result }));
            }),
          (error) => batch.forEach(({ reject }) => reject(error)),
        );
      });

      return (input) => {
        if (signingHere()) return signHere(input);
        return new Promise((resolve, reject) => add({ input, resolve, reject }));
      };
    },

    async close() {
      closed = true;
      const thread = running;
      if (!thread) return;
      stop(thread, new SignerUnavailableError('The signing thread was closed'));
      await thread.worker.terminate();
    },
  };
}
