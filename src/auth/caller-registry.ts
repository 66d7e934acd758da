/** Finds the caller a presented key belongs to: one hash and one map lookup. */
import { hash } from 'node:crypto';
import type { Caller } from './caller.js';

export interface CallerRegistry {
  /** The caller whose key this is, or `undefined`. */
  authenticate(presentedKey: string): Caller | undefined;
  readonly size: number;
  /** Swaps in a new set of callers at once (CALLERS_FILE reloaded): a removed caller's next request is refused. */
  replace(callers: readonly Caller[]): void;
}

/**
 * Indexes callers by the SHA-256 of their key. Looking up by digest means the comparison never
 * runs over the key itself, so response timing tells nothing about how close a guess was.
 *
 * @example
 * const registry = createCallerRegistry(config.callers);
 * registry.authenticate(bearerToken)?.id;
 */
export function createCallerRegistry(callers: readonly Caller[]): CallerRegistry {
  let byDigest = new Map(callers.map((caller) => [caller.keySha256, caller]));
  return {
    authenticate: (presentedKey) => byDigest.get(sha256Hex(presentedKey)),
    get size() {
      return byDigest.size;
    },
    replace(next) {
      byDigest = new Map(next.map((caller) => [caller.keySha256, caller]));
    },
  };
}

/** Lowercase hex SHA-256, the form CALLERS stores (`tokenvend hash-key`). */
export function sha256Hex(value: string): string {
  return hash('sha256', value, 'hex');
}
