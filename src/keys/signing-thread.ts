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
 */
import type { KeyObject, SignKeyObjectInput } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** What the thread needs to sign with one key: the same arguments as `crypto.sign`. */
export interface SignParams {
  readonly digest: string | null;
  readonly key: SignKeyObjectInput & { readonly key: KeyObject };
}

/** One message to the thread: a batch of JWS signing inputs, and the key when it differs from the last batch's. */
export interface BatchMessage {
  readonly params?: SignParams;
  readonly inputs: readonly string[];
}

/** A signature the thread could not make: it failed, or the thread stopped before answering. */
export class SigningThreadError extends Error {
  readonly code = 'ERR_TOKENVEND_SIGNING_THREAD';

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
  /** Stops the thread; signatures still in flight are rejected. Signing again starts a new one. */
  close(): Promise<void>;
}

export interface SigningThreadOptions {
  /** Inputs per message at most; a full batch is sent at once instead of at the end of the turn. */
  readonly maxBatch?: number;
  /** Told when the thread fails or exits while signatures were in flight (they are rejected; the next batch starts a new thread). */
  readonly onFailure?: (error: Error) => void;
  /** The thread's script: signing-thread-worker.js beside this module (tests substitute one that fails). */
  readonly workerUrl?: URL;
}

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
  readonly answer: (results: ReadonlyArray<string | Error>) => void;
  readonly fail: (error: Error) => void;
}

interface RunningThread {
  readonly worker: Worker;
  /** Messages sent and not yet answered, oldest first: the thread answers in order. */
  readonly inFlight: Exchange[];
  /** The key the thread will sign the next batch with. */
  lastParams: SignParams | undefined;
  /** Stopped by close(): what it drops is not a failure. */
  closed: boolean;
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
export function createSigningThread({ maxBatch = DEFAULT_MAX_BATCH, onFailure = () => undefined, workerUrl = WORKER_URL }: SigningThreadOptions = {}): SigningThread {
  let running: RunningThread | undefined;

  function launch(): RunningThread {
    // No inherited flags: the thread only signs, and some (--input-type with -e) would stop it loading.
    const worker = new Worker(workerUrl, { execArgv: [] });
    const thread: RunningThread = { worker, inFlight: [], lastParams: undefined, closed: false };
    // Idle, the thread must not keep the process alive; in flight, it must (see send).
    worker.unref();
    worker.on('message', (results: ReadonlyArray<string | Error>) => {
      const exchange = thread.inFlight.shift();
      if (thread.inFlight.length === 0) worker.unref();
      exchange?.answer(results);
    });
    const fail = (error: Error): void => {
      if (running === thread) running = undefined;
      const lost = thread.inFlight.splice(0);
      if (lost.length === 0) return;
      worker.unref();
      for (const exchange of lost) exchange.fail(error);
      if (!thread.closed) onFailure(error);
    };
    worker.on('error', (error) => fail(new SigningThreadError(`The signing thread failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code) => fail(new SigningThreadError(`The signing thread exited (code ${code}) before answering`)));
    return thread;
  }

  /** Sends one message; `params` only when the thread does not hold that key yet. */
  function send(params: SignParams | undefined, inputs: readonly string[], exchange: Exchange): void {
    const thread = (running ??= launch());
    if (thread.inFlight.length === 0) thread.worker.ref();
    thread.inFlight.push(exchange);
    const message: BatchMessage = { inputs, ...(params && thread.lastParams !== params && { params }) };
    try {
      thread.worker.postMessage(message);
    } catch (error) {
      // Nothing was sent (the key could not be cloned): this message fails, the thread signs on.
      thread.inFlight.pop();
      if (thread.inFlight.length === 0) thread.worker.unref();
      exchange.fail(new SigningThreadError('The signature could not be requested', { cause: error }));
      return;
    }
    if (params) thread.lastParams = params;
  }

  return {
    start() {
      // An empty batch: answered once the thread has loaded its script, refused if it cannot.
      return new Promise((resolve, reject) => send(undefined, [], { answer: () => resolve(), fail: reject }));
    },

    signer(params) {
      let pending: PendingSignature[] = [];
      let scheduled = false;

      const answer = (batch: readonly PendingSignature[]): Exchange => ({
        answer: (results) =>
          batch.forEach(({ resolve, reject }, index) => {
            const result = results[index];
            if (typeof result === 'string') resolve(result);
            else reject(new SigningThreadError('The signature could not be made', { cause: result }));
          }),
        fail: (error) => batch.forEach(({ reject }) => reject(error)),
      });

      // Runs in the check phase (setImmediate): after every socket that was readable this turn has been read.
      const flush = (): void => {
        scheduled = false;
        if (pending.length === 0) return;
        const batch = pending;
        pending = [];
        send(params, batch.map(({ input }) => input), answer(batch));
      };

      return (input) =>
        new Promise((resolve, reject) => {
          pending.push({ input, resolve, reject });
          if (pending.length >= maxBatch) flush();
          else if (!scheduled) {
            scheduled = true;
            setImmediate(flush);
          }
        });
    },

    async close() {
      const thread = running;
      running = undefined;
      if (!thread) return;
      thread.closed = true;
      await thread.worker.terminate();
    },
  };
}
