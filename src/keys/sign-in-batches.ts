/**
 * Makes the signatures requested during one event-loop turn together, right after the turn's I/O,
 * on the event loop: HMAC always (a few microseconds), EC and EdDSA where no signing thread runs
 * (one core, the CLI, or while the thread is down; see signing-thread.ts).
 *
 * Why: an ECDSA or EdDSA signature costs about 40 µs when signatures follow one another, but about
 * twice that when each runs alone between two HTTP requests, which push OpenSSL's code and tables
 * out of the CPU caches. Signing in the thread pool instead costs a thread hop per token and, on a
 * machine whose cores are busy, preempts the event loop for the length of the signature anyway.
 * Measured on a 2-core machine under 50 concurrent clients (`npm run bench`, before
 * http/create-app-server.ts, when a token cost the event loop about 300 µs), signing inline and
 * signing on the pool both gave ES256 about 0.60x of the bare-Express baseline; batches, 0.68x.
 */
import { sign } from 'node:crypto';
import type { SignParams } from './signing-key.js';

/** Signs one JWS signing input synchronously and returns the base64url signature. */
export type SignOne = (input: string) => string;

interface PendingSignature {
  readonly input: string;
  readonly resolve: (signature: string) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * At most this many signatures in one go (~1.5 ms for ES256), so a flood of requests cannot hold
 * the event loop for long; the rest wait for the next turn, after the I/O that came in meanwhile.
 */
export const MAX_BATCH = 32;

/**
 * Wraps a synchronous signer: each call resolves after the batch it joined has been signed.
 *
 * @example
 * const signEs256 = signInBatches((input) => sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url'));
 * const signature = await signEs256(signingInput);
 */
export function signInBatches(signOne: SignOne, maxBatch = MAX_BATCH): (input: string) => Promise<string> {
  let pending: PendingSignature[] = [];

  // Runs in the check phase (setImmediate): after every socket that was readable this turn has been read.
  function signPending(): void {
    const batch = pending.length > maxBatch ? pending.splice(0, maxBatch) : pending;
    if (batch === pending) pending = [];
    else setImmediate(signPending);
    for (const { input, resolve, reject } of batch) {
      try {
        resolve(signOne(input));
      } catch (error) {
        reject(error);
      }
    }
  }

  return (input) =>
    new Promise((resolve, reject) => {
      if (pending.length === 0) setImmediate(signPending);
      pending.push({ input, resolve, reject });
    });
}

/**
 * An asymmetric key's signer on the event loop: what signs EC and EdDSA without a signing thread,
 * and while one is down (signing-thread.ts).
 *
 * @example
 * const signEs256 = signKeyInBatches({ digest: 'sha256', key: { key, dsaEncoding: 'ieee-p1363' } });
 */
export function signKeyInBatches({ digest, key }: SignParams): (input: string) => Promise<string> {
  return signInBatches((input) => sign(digest, Buffer.from(input), key).toString('base64url'));
}
