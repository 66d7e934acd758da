/** Replaces a secret file in one rename, mode 0600: a watching service never reads half a file. */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `content` to a temporary file beside `path`, syncs it, and renames it over `path`.
 * `exclusive` refuses to replace an existing file (claims the name first, so two runs cannot both succeed).
 *
 * @example
 * await writeFileAtomically('org-keys.json', `${JSON.stringify(document, null, 2)}\n`);
 */
export async function writeFileAtomically(path: string, content: string, { exclusive = false } = {}): Promise<void> {
  if (exclusive) await (await open(path, 'wx', 0o600)).close();
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
}
