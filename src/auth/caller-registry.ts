/** Finds the caller a presented key belongs to: one hash and one map lookup. */
import { hash } from 'node:crypto';
import type { Caller } from './caller.js';

export interface CallerRegistry {
  /** The caller whose key this is, or `undefined`. */
  authenticate(presentedKey: string): Caller | undefined;
  /** The caller with this id (an OAuth `client_id`), or `undefined`; the id alone proves nothing. */
  byId(id: string): Caller | undefined;
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
  // A key-pair-only caller has no secret, so it cannot be found by one.
  const index = (list: readonly Caller[]) => ({
    byDigest: new Map(list.flatMap((caller) => (caller.keySha256 === undefined ? [] : [[caller.keySha256, caller] as const]))),
    ids: new Map(list.map((caller) => [caller.id, caller])),
  });
  let state = index(callers);
  return {
    authenticate: (presentedKey) => state.byDigest.get(sha256Hex(presentedKey)),
    byId: (id) => state.ids.get(id),
    get size() {
      return state.ids.size;
    },
    replace(next) {
      state = index(next);
    },
  };
}

/** Lowercase hex SHA-256, the form CALLERS stores (`tokenvend hash-key`). */
export function sha256Hex(value: string): string {
  return hash('sha256', value, 'hex');
}
