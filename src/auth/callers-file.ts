/**
 * Reads and writes a CALLERS_FILE for `tokenvend callers`: every write is validated by the service's
 * own parser first, then replaces the file in one rename (a watching service never reads half a
 * file), with mode 0600.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, realpath, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
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
 * Validates the entries as the service will, then writes them through any symlink (a mounted
 * secret's link stays a link) in one rename, mode 0600.
 *
 * @example
 * await writeCallersFile('callers.json', [...entries, added]);
 */
export async function writeCallersFile(path: string, entries: readonly StoredCaller[]): Promise<Caller[]> {
  const content = `${JSON.stringify(entries, null, 2)}\n`;
  const callers = parseCallers(content, path);
  const target = await realpath(path).catch(() => path);
  const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
    await handle.close();
    await rename(temporary, target);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
  return callers;
}
