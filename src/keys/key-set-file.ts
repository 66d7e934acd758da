/** Reads and writes a SIGNING_KEYS_FILE: every write is validated, atomic (rename) and mode 0600. */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseKeySet } from './key-set.js';
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
  if (exclusive) {
    // Claims the name first: two `keys init` runs cannot both succeed.
    await (await open(path, 'wx', 0o600)).close();
  }
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
    await handle.close();
    await rename(temporary, path);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
  return keys;
}
