import { clientDefaults } from '../src/defaults.js';
import { scheduleRefresh } from '../src/refresh-schedule.js';

const T0 = 1_000_000;
const fractions = { refreshAtLifeFraction: clientDefaults.refreshAtLifeFraction, refreshJitterFraction: clientDefaults.refreshJitterFraction };

describe('scheduleRefresh', () => {
  it('expires after expiresIn counted from the send time', () => {
    expect(scheduleRefresh({ ...fractions, issuedAtMs: T0, lifetimeMs: 600_000, refreshBeforeMs: undefined, random: 0 })).toEqual({
      expiresAtMs: T0 + 600_000,
      refreshAtMs: T0 + 480_000,
    });
  });

  it.each([
    [0, 480_000],
    [0.5, 465_000],
    [0.999_999, 450_000.03],
  ])('with random %d refreshes at %d ms of a 600 s life', (random, at) => {
    const { refreshAtMs } = scheduleRefresh({ ...fractions, issuedAtMs: T0, lifetimeMs: 600_000, refreshBeforeMs: undefined, random });
    expect(refreshAtMs - T0).toBeCloseTo(at, 3);
  });

  it('keeps the jittered refresh between 75 % and 80 % of the life', () => {
    for (const lifetimeMs of [1_000, 60_000, 900_000, 86_400_000]) {
      for (let i = 0; i < 100; i += 1) {
        const { refreshAtMs } = scheduleRefresh({ ...fractions, issuedAtMs: T0, lifetimeMs, refreshBeforeMs: undefined, random: i / 100 });
        expect(refreshAtMs - T0).toBeGreaterThanOrEqual(lifetimeMs * 0.75);
        expect(refreshAtMs - T0).toBeLessThanOrEqual(lifetimeMs * 0.8);
      }
    }
  });

  it('uses a fixed window, jittered by at most a quarter of it', () => {
    const at = (random: number) =>
      scheduleRefresh({ ...fractions, issuedAtMs: T0, lifetimeMs: 600_000, refreshBeforeMs: 30_000, random }).refreshAtMs - T0;
    expect(at(0)).toBe(570_000);
    expect(at(0.5)).toBe(566_250);
    expect(at(0.999_999)).toBeGreaterThan(562_500);
  });

  it('never schedules before issuance when the window exceeds the life', () => {
    expect(scheduleRefresh({ ...fractions, issuedAtMs: T0, lifetimeMs: 60_000, refreshBeforeMs: 120_000, random: 0 })).toEqual({
      expiresAtMs: T0 + 60_000,
      refreshAtMs: T0,
    });
  });
});
