/**
 * Reads and writes a CALLERS_FILE for `tokenvend callers`: every write is validated by the service's
 * own parser first, then replaces the file in one rename (a watching service never reads half a
 * file), with mode 0600 (an existing file's owner and mode kept, less other users' bits).
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomically, type WriteFileAtomicallyOptions } from '../keys/write-file-atomically.js';
import { parseCallers, type Caller } from './caller.js';

/** A CALLERS entry as it stands in the file; fields the CLI does not know are kept as they are. */
export type StoredCaller = Readonly<Record<string, unknown>> & { readonly id: string };

/**
 * The file's entries and what the service makes of them; undefined when the file does not exist.
 *
 * @example
 * const current = await readCallersFile('callers.json');
 */
export async function readCallersFile(path: string): Promise<{ entries: StoredCaller[]; callers: Caller[] } | undefined> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const callers = parseCallers(content, path);
  return { entries: JSON.parse(content) as StoredCaller[], callers };
}

/**
 * Validates the entries as the service will, then writes them with the key files' atomic writer
 * (through a symlink to its target, owner and mode kept less other users' bits, one rename); `notice`
 * hears when the mode was tightened.
 *
 * @example
 * await writeCallersFile('callers.json', [...entries, added]);
 */
export async function writeCallersFile(path: string, entries: readonly StoredCaller[], { notice }: Pick<WriteFileAtomicallyOptions, 'notice'> = {}): Promise<Caller[]> {
  const content = `${JSON.stringify(entries, null, 2)}\n`;
  const callers = parseCallers(content, path);
  await writeFileAtomically(path, content, { notice });
  return callers;
}
