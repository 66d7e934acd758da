/** Shares one in-flight promise among all concurrent callers asking for the same key. */

/** Runs at most one task per key at a time. */
export interface SingleFlight<K, V> {
  /** Joins the task in flight for `key`, or starts `task` if there is none. */
  run(key: K, task: () => Promise<V>): Promise<V>;
}

/**
 * Creates a single-flight group: concurrent `run` calls with the same key get the same promise,
 * and the key is free again as soon as that promise settles (success or failure are not cached).
 *
 * @example
 * ```ts
 * const flights = createSingleFlight<string, string>();
 * const [a, b] = await Promise.all([flights.run('k', load), flights.run('k', load)]); // `load` ran once
 * ```
 */
export function createSingleFlight<K, V>(): SingleFlight<K, V> {
  const inFlight = new Map<K, Promise<V>>();
  return {
    run(key, task) {
      const existing = inFlight.get(key);
      if (existing !== undefined) return existing;
      const promise = task().finally(() => {
        if (inFlight.get(key) === promise) inFlight.delete(key);
      });
      inFlight.set(key, promise);
      return promise;
    },
  };
}
