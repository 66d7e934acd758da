import { createSingleFlight } from '../src/single-flight.js';

describe('createSingleFlight', () => {
  it('runs one task per key for concurrent callers and frees the key when it settles', async () => {
    const flights = createSingleFlight<string, number>();
    let runs = 0;
    const task = async () => {
      runs += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return runs;
    };

    expect(await Promise.all([flights.run('a', task), flights.run('a', task), flights.run('b', task)])).toEqual([2, 2, 2]);
    expect(runs).toBe(2);
    expect(await flights.run('a', task)).toBe(3);
  });

  it('does not remember a failure', async () => {
    const flights = createSingleFlight<string, number>();
    await expect(flights.run('a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await flights.run('a', () => Promise.resolve(1))).toBe(1);
  });
});
