/** How long to wait before the next attempt: exponential, capped, jittered, never before `Retry-After`. */

/** Inputs of {@link backoffDelay}. */
export interface BackoffInput {
  /** 0 for the wait before the first retry, 1 before the second, ... */
  retry: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Uniform random number in [0, 1). */
  random: number;
  /** The server's `Retry-After`, in milliseconds, if it sent one. */
  retryAfterMs?: number | undefined;
}

/**
 * "Equal jitter" backoff: the step `min(max, initial · 2^retry)` is halved and the other half is random,
 * so waits stay spread out yet never collapse to zero. The server's `Retry-After` is a lower bound:
 * the client never comes back earlier than it was told to.
 *
 * @example
 * ```ts
 * backoffDelay({ retry: 2, initialBackoffMs: 200, maxBackoffMs: 5000, random: 0.5 }); // 600
 * backoffDelay({ retry: 0, initialBackoffMs: 200, maxBackoffMs: 5000, random: 0.5, retryAfterMs: 1000 }); // 1000
 * ```
 */
export function backoffDelay(input: BackoffInput): number {
  const step = Math.min(input.maxBackoffMs, input.initialBackoffMs * 2 ** input.retry);
  const jittered = step / 2 + (input.random * step) / 2;
  return Math.max(jittered, input.retryAfterMs ?? 0);
}
