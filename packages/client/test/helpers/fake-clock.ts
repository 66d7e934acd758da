/** A manual clock and an instant sleep that advances it, for deterministic timing tests. */

export interface FakeClock {
  now: () => number;
  advance(ms: number): void;
  /** Records the wait, moves the clock forward by it and resolves at once. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Every wait requested through `sleep`, in order. */
  sleeps: number[];
}

export function createFakeClock(startMs = Date.UTC(2025, 0, 1)): FakeClock {
  let current = startMs;
  const clock: FakeClock = {
    now: () => current,
    advance(ms) {
      current += ms;
    },
    sleeps: [],
    sleep(ms, signal) {
      if (signal.aborted) return Promise.reject(signal.reason);
      clock.sleeps.push(ms);
      current += ms;
      return Promise.resolve();
    },
  };
  return clock;
}
