import { backoffDelay } from '../src/backoff.js';

const base = { initialBackoffMs: 200, maxBackoffMs: 5000 };

describe('backoffDelay', () => {
  it.each([
    [0, 0, 100],
    [0, 0.5, 150],
    [1, 0.5, 300],
    [2, 0.5, 600],
    [3, 0, 800],
    [10, 0, 2500], // capped step 5000
    [10, 0.5, 3750],
  ])('retry %i with random %d waits %i ms', (retry, random, expected) => {
    expect(backoffDelay({ ...base, retry, random })).toBe(expected);
  });

  it('stays within [step / 2, step) for any random value', () => {
    for (let retry = 0; retry < 8; retry += 1) {
      const step = Math.min(5000, 200 * 2 ** retry);
      for (const random of [0, 0.25, 0.5, 0.75, 0.999_999]) {
        const delay = backoffDelay({ ...base, retry, random });
        expect(delay).toBeGreaterThanOrEqual(step / 2);
        expect(delay).toBeLessThan(step);
      }
    }
  });

  it('never waits less than Retry-After, but keeps a longer backoff', () => {
    expect(backoffDelay({ ...base, retry: 0, random: 0.5, retryAfterMs: 1000 })).toBe(1000);
    expect(backoffDelay({ ...base, retry: 0, random: 0.5, retryAfterMs: 30_000 })).toBe(30_000);
    expect(backoffDelay({ ...base, retry: 2, random: 0.5, retryAfterMs: 0 })).toBe(600);
  });
});
