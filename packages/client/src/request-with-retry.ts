/** Retries transient token-request failures with backoff, within an overall deadline. */

import type { TokenRequest } from './api-types.js';
import { backoffDelay } from './backoff.js';
import { TokenClientError, TokenClientErrorCodes } from './errors.js';
import type { ClientConfig } from './options.js';
import type { IssuedToken, RequestToken } from './request-token.js';

/** Sends a token request, retrying transient failures; `closeSignal` aborts attempts and waits. */
export type RequestTokenWithRetry = (body: TokenRequest, closeSignal: AbortSignal) => Promise<IssuedToken>;

/** Statuses worth another try: rate limited (RFC 6585 §4), and the gateway/availability family. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/**
 * Whether a failed attempt may succeed if repeated unchanged: network errors, timeouts,
 * 429, 502, 503 and 504. Every other 4xx/5xx is final.
 *
 * @example
 * ```ts
 * isRetryable(new TokenClientError('ERR_TOKENVEND_RATE_LIMITED', 'slow down', { status: 429 })); // true
 * ```
 */
export function isRetryable(error: TokenClientError): boolean {
  return (
    error.code === TokenClientErrorCodes.NETWORK ||
    error.code === TokenClientErrorCodes.TIMEOUT ||
    (error.status !== undefined && RETRYABLE_STATUSES.has(error.status))
  );
}

function deadlineExceeded(deadlineMs: number, last: TokenClientError | undefined): TokenClientError {
  const lastWords = last === undefined ? '' : `; last attempt: ${last.message}`;
  return new TokenClientError(
    TokenClientErrorCodes.DEADLINE_EXCEEDED,
    `No token within the ${deadlineMs} ms deadline${lastWords}`,
    { status: last?.status, problem: last?.problem, retryAfterMs: last?.retryAfterMs, cause: last },
  );
}

/**
 * Wraps a single-attempt requester with retries: up to `maxRetries` more attempts, each after
 * {@link backoffDelay} (never sooner than the server's `Retry-After`). No wait is started that
 * would end past the deadline: the call fails at once with `ERR_TOKENVEND_CLIENT_DEADLINE_EXCEEDED`,
 * carrying the last attempt's status and problem. When retries run out first, the last attempt's
 * own error is thrown. Each attempt's timeout is also clipped to the time left.
 *
 * @example
 * ```ts
 * const request = createRetryingRequester(config, createTokenRequester(config));
 * const { response } = await request({ orgId: 'org_1' }, closeController.signal);
 * ```
 */
export function createRetryingRequester(config: ClientConfig, requestToken: RequestToken): RequestTokenWithRetry {
  const { now, sleep, random, timeoutMs, maxRetries, deadlineMs, initialBackoffMs, maxBackoffMs } = config;

  return async function requestTokenWithRetry(body, closeSignal) {
    const deadline = now() + deadlineMs;
    let last: TokenClientError | undefined;
    for (let retry = 0; ; retry += 1) {
      const remaining = deadline - now();
      if (remaining <= 0) throw deadlineExceeded(deadlineMs, last);
      try {
        return await requestToken(body, Math.min(timeoutMs, remaining), closeSignal);
      } catch (error) {
        if (!(error instanceof TokenClientError) || !isRetryable(error) || retry >= maxRetries) throw error;
        last = error;
      }
      const delay = backoffDelay({ retry, initialBackoffMs, maxBackoffMs, random: random(), retryAfterMs: last.retryAfterMs });
      if (now() + delay >= deadline) throw deadlineExceeded(deadlineMs, last);
      await sleep(delay, closeSignal);
    }
  };
}
