/** When a freshly issued token expires, and when the client should start replacing it. */

/** Inputs of {@link scheduleRefresh}. */
export interface RefreshScheduleInput {
  /** Local time (epoch ms) at which the token request was sent: the conservative issuance time. */
  issuedAtMs: number;
  /** Lifetime the server reported (`expiresIn`), in milliseconds. */
  lifetimeMs: number;
  /** Fixed refresh window before expiry; `undefined` means "the last (1 - refreshAtLifeFraction) of the life". */
  refreshBeforeMs: number | undefined;
  refreshAtLifeFraction: number;
  /** Share of the window by which the refresh may be moved earlier at random. */
  refreshJitterFraction: number;
  /** Uniform random number in [0, 1). */
  random: number;
}

/** Local expiry and refresh moments of one cached token, in epoch milliseconds. */
export interface RefreshSchedule {
  expiresAtMs: number;
  refreshAtMs: number;
}

/**
 * Computes expiry from the server's `expiresIn` and the local send time — never from `expiresAt`,
 * which is on the server's clock and would be wrong by any clock skew. The refresh moment is the
 * start of the refresh window moved earlier by jitter of up to `refreshJitterFraction` of the
 * window, and never before issuance.
 *
 * @example
 * ```ts
 * scheduleRefresh({ issuedAtMs: 0, lifetimeMs: 600_000, refreshBeforeMs: undefined,
 *   refreshAtLifeFraction: 0.8, refreshJitterFraction: 0.25, random: 0 });
 * // { expiresAtMs: 600_000, refreshAtMs: 480_000 }
 * ```
 */
export function scheduleRefresh(input: RefreshScheduleInput): RefreshSchedule {
  const expiresAtMs = input.issuedAtMs + input.lifetimeMs;
  // life - life·f rather than life·(1 - f): exact in floating point for the usual round lifetimes.
  const windowMs = input.refreshBeforeMs ?? input.lifetimeMs - input.lifetimeMs * input.refreshAtLifeFraction;
  const jitterMs = input.random * input.refreshJitterFraction * windowMs;
  const refreshAtMs = Math.max(input.issuedAtMs, expiresAtMs - windowMs - jitterMs);
  return { expiresAtMs, refreshAtMs };
}
