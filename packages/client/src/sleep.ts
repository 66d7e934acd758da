/** Default wait between retries: a timer that an AbortSignal cancels. */

/** Waits `ms` milliseconds; rejects with the signal's reason if the signal aborts first. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/**
 * Real-time {@link Sleep}, cancelled by `signal`.
 *
 * @example
 * ```ts
 * await sleep(250, AbortSignal.timeout(1_000));
 * ```
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
