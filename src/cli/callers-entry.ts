/** A ready-to-paste CALLERS entry for a caller key's hash. */

/** The `id` rule of a CALLERS entry (src/auth/caller.ts). */
export const CALLER_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,64}$/;

export interface CallersEntry {
  readonly id: string;
  readonly keySha256: string;
  readonly orgs: readonly string[];
}

/**
 * The entry for `orgs`; every org (`"*"`) when none are given: narrow `orgs` before deploying it.
 *
 * @example
 * JSON.stringify(callersEntry('web', sha256Hex(key))); // {"id":"web","keySha256":"…","orgs":["*"]}
 * JSON.stringify(callersEntry('web', sha256Hex(key), ['org_a'])); // {"id":"web","keySha256":"…","orgs":["org_a"]}
 */
export function callersEntry(id: string, keySha256: string, orgs: readonly string[] = ['*']): CallersEntry {
  return { id, keySha256, orgs };
}
