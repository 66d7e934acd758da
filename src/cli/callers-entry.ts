/** A ready-to-paste CALLERS entry for a caller key's hash. */

/** The `id` rule of a CALLERS entry (src/auth/caller.ts). */
export const CALLER_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,64}$/;

/** RFC 6750 §2.1 b64token: anything else cannot travel in `Authorization: Bearer`, so no caller could present it. */
export const BEARER_TOKEN_PATTERN = /^[A-Za-z0-9\-._~+/]+=*$/;

export interface CallersEntry {
  readonly id: string;
  readonly keySha256: string;
  readonly orgs: readonly string[];
}

/**
 * The entry with every org allowed (`"*"`); narrow `orgs` before deploying it.
 *
 * @example
 * JSON.stringify(callersEntry('web', sha256Hex(key))); // {"id":"web","keySha256":"…","orgs":["*"]}
 */
export function callersEntry(id: string, keySha256: string): CallersEntry {
  return { id, keySha256, orgs: ['*'] };
}
