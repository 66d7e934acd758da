/** Reads and writes a SIGNING_KEYS_FILE: every write is validated and atomic (write-file-atomically.ts keeps owner, mode less other users' bits, and links). */
import { readFile } from 'node:fs/promises';
import { parseKeySet } from './key-set.js';
import { writeFileAtomically, type WriteFileAtomicallyOptions } from './write-file-atomically.js';
import type { SigningKey } from './signing-key.js';

/** A private JWK as it stands in the file. */
export type StoredJwk = Readonly<Record<string, unknown>> & { readonly kid: string };

/**
 * When `tokenvend keys` added a key, made it sign, and made another key sign instead (ISO 8601).
 * Extra JWK members (RFC 7517 §4: members not understood are ignored): the service's parser accepts
 * them, and the public JWK is built from an allow-list (create-signing-key.ts), so they are never published.
 */
export const KEY_TIMES = {
  added: 'tokenvend_added_at',
  promoted: 'tokenvend_promoted_at',
  stoppedSigning: 'tokenvend_stopped_signing_at',
} as const;

/**
 * A recorded time of the key in milliseconds since the epoch; `undefined` when not recorded (a set
 * written by hand or by an older version) or unreadable.
 *
 * @example
 * keyTime(document.keys[1], 'added'); // 1796000000000
 */
export function keyTime(key: StoredJwk, which: keyof typeof KEY_TIMES): number | undefined {
  const value = key[KEY_TIMES[which]];
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  return Number.isNaN(time) ? undefined : time;
}

export interface KeySetDocument {
  readonly keys: readonly StoredJwk[];
}

/**
 * @example
 * const { document, keys } = await readKeySetFile('keys.json');
 */
export async function readKeySetFile(path: string): Promise<{ document: KeySetDocument; keys: SigningKey[] }> {
  const content = await readFile(path, 'utf8');
  const keys = await parseKeySet(content);
  return { document: JSON.parse(content) as KeySetDocument, keys };
}

/**
 * Validates the set as the service will, then replaces the file in one rename, so a watching
 * service never reads half a file. `exclusive` refuses to replace an existing file; `notice` hears
 * when the file's mode was tightened (write-file-atomically.ts).
 *
 * @example
 * await writeKeySetFile('keys.json', { keys: [next, ...document.keys] });
 */
export async function writeKeySetFile(path: string, document: KeySetDocument, options: WriteFileAtomicallyOptions = {}): Promise<SigningKey[]> {
  const content = `${JSON.stringify(document, null, 2)}\n`;
  const keys = await parseKeySet(content);
  await writeFileAtomically(path, content, options);
  return keys;
}
