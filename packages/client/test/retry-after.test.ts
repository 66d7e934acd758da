import { parseRetryAfter } from '../src/retry-after.js';

const NOW = Date.UTC(2025, 0, 1, 0, 0, 0);

describe('parseRetryAfter', () => {
  it.each([
    ['2', 2000],
    [' 0 ', 0],
    ['120', 120_000],
  ])('reads delta-seconds %j as %i ms', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  it('measures an HTTP-date against the Date header', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', NOW, 'Wed, 21 Oct 2015 07:28:00 GMT')).toBe(5000);
  });

  it('measures an HTTP-date against the local clock without a usable Date header', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:07 GMT', NOW)).toBe(7000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:07 GMT', NOW, 'garbage')).toBe(7000);
  });

  it.each([
    ['Sunday, 06-Nov-94 08:49:40 GMT'],
    ['Sun Nov  6 08:49:40 1994'],
  ])('accepts the obsolete form %s', (value) => {
    expect(parseRetryAfter(value, 0, 'Sun, 06 Nov 1994 08:49:37 GMT')).toBe(3000);
  });

  it('never returns a negative wait for a date in the past', () => {
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', NOW)).toBe(0);
  });

  it.each([null, undefined, '', 'soon', '-1', '1.5', '2025-01-01', 'Wed, 01 Jan 2025 00:00:07 GMT junk'])('ignores %j', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });
});
