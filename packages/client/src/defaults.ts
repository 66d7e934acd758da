/** Every default of the token client, with the reason for its value. */

export const clientDefaults = Object.freeze({
  /** Budget of one HTTP attempt, headers and body included. */
  timeoutMs: 5_000,
  /** Retries after the first attempt, for 429, 502, 503, 504, network errors and timeouts. */
  maxRetries: 4,
  /** Budget of one `getToken` call across all its attempts and waits. */
  deadlineMs: 15_000,
  /** First backoff step; doubles on each retry. */
  initialBackoffMs: 200,
  /** Ceiling of one backoff step (before `Retry-After`, which may ask for longer). */
  maxBackoffMs: 5_000,
  /** Without `refreshBeforeSeconds`, a token is refreshed once this share of its life has passed. */
  refreshAtLifeFraction: 0.8,
  /**
   * The refresh moment is moved earlier by a random share (up to this fraction) of the refresh window,
   * so clients that got their tokens at the same moment do not all come back at the same moment.
   * With the default window this means a refresh between 75 % and 80 % of the token's life.
   */
  refreshJitterFraction: 0.25,
  /**
   * After a refresh failed while the cached token was still valid, the cached token is served
   * without a new attempt for at least this long (or the server's `Retry-After`, if longer).
   */
  refreshFailureCooldownMs: 1_000,
  /**
   * After a target's 401 made `fetch()` drop a cached token, further 401s for the same token parameters
   * drop it again only once this much time has passed. A token is normally rejected once (it expired or
   * its key was retired) and its replacement is accepted; a target that rejects every token (wrong
   * audience, a misconfigured verifier) would otherwise make every call mint a new token.
   */
  tokenRejectionIntervalMs: 10_000,
});
