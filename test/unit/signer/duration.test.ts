import { parseDuration } from '../../../src/signer/duration.js';

describe('parseDuration', () => {
  it.each<[unknown, number | undefined]>([
    [90, 90], ['90', 90], ['90s', 90], ['15m', 900], ['1h', 3600], ['2d', 172800], [0, 0],
    [-1, undefined], [1.5, undefined], ['1.5h', undefined], ['1w', undefined], ['15 m', undefined], ['', undefined],
    ['h', undefined], [' 15m', undefined], ['1e3', undefined], [null, undefined], [true, undefined], [Number.MAX_VALUE, undefined],
  ])('%p → %p', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });
});
