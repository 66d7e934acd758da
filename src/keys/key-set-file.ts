/** Reads and writes a SIGNING_KEYS_FILE: every write is validated and atomic (write-file-atomically.ts keeps owner, mode and links). */
import { readFile } from 'node:fs/promises';
import { parseKeySet } from './key-set.js';
import { writeFileAtomically } from './write-file-atomically.js';
import type { SigningKey } from './signing-key.js';

/** A private JWK as it stands in the file. */
export type StoredJwk = Readonly<Record<string, unknown>> & { readonly kid: string };

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
 * service never reads half a file. `exclusive` refuses to replace an existing file.
 *
 * @example
 * await writeKeySetFile('keys.json', { keys: [next, ...document.keys] });
 */
export async function writeKeySetFile(path: string, document: KeySetDocument, { exclusive = false } = {}): Promise<SigningKey[]> {
  const content = `${JSON.stringify(document, null, 2)}\n`;
  const keys = await parseKeySet(content);
  await writeFileAtomically(path, content, { exclusive });
  return keys;
}
