/**
 * Replaces a secret file in one rename: a watching service never reads half a file. A new file is
 * mode 0600; an existing one keeps its owner and mode, less any permission for other users and the
 * group's write (at most 0640), and a
 * symbolic link keeps pointing at it.
 */
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { lstat, open, realpath, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * The permission bits a file of secrets never keeps: any of other users (as ssh refuses a private
 * key file they can read), the group's write and execute (a group member could add a caller or a
 * key), and setuid, setgid and sticky. The group's read stays: a Secret mounted 0440 for the
 * service's group (fsGroup, deploy/kubernetes/base/deployment.yaml) is a documented way for the
 * service to read its keys, and taking it away would make its next reload fail. At most 0640.
 */
const NEVER_KEPT = 0o7037;

export interface WriteFileAtomicallyOptions {
  /** Refuse to replace an existing file (claims the name first, so two runs cannot both succeed). */
  readonly exclusive?: boolean;
  /** Told in one line, after the write, when the replaced file's mode was tightened (for the CLI's stderr). */
  readonly notice?: (line: string) => void;
}

/**
 * Writes `content` to a temporary file beside the file `path` names (through a symbolic link, its
 * target), syncs it, gives it the old file's owner and mode without the bits of other users, and
 * renames it over that file.
 *
 * @example
 * await writeFileAtomically('org-keys.json', `${JSON.stringify(document, null, 2)}\n`, {
 *   notice: (line) => process.stderr.write(`${line}\n`), // "tightened the mode of …/org-keys.json from 0644 to 0640: …"
 * });
 */
export async function writeFileAtomically(path: string, content: string, { exclusive = false, notice }: WriteFileAtomicallyOptions = {}): Promise<void> {
  if (exclusive) await (await open(path, 'wx', 0o600)).close();
  const { target, existing } = await resolveTarget(path);
  const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', 0o600);
  let tightened = '';
  try {
    await handle.writeFile(content);
    if (existing) tightened = await keepOwnerAndMode(handle, target, existing);
    await handle.sync();
    await handle.close();
    await rename(temporary, target);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
  if (tightened !== '') notice?.(tightened);
}

/**
 * The file a write replaces: a symbolic link's target (renaming onto the link would replace the
 * link with a regular file the service, reading the target, never sees), with its current stats.
 */
async function resolveTarget(path: string): Promise<{ target: string; existing: Stats | undefined }> {
  try {
    const target = await realpath(path);
    return { target, existing: await stat(target) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const link = await lstat(path).catch(() => undefined);
    if (link?.isSymbolicLink()) throw new Error(`${path} is a symbolic link to a file that does not exist; create the target or point the link at the file`);
    return { target: path, existing: undefined };
  }
}

/**
 * Gives the new file the replaced one's owner and mode (run as root against a file the service's
 * user must read, a 0600 root-owned file would stop rotation with EACCES, and quietly), but never
 * the bits of other users. Returns the line that says so when it drops any, else ''.
 */
async function keepOwnerAndMode(handle: FileHandle, target: string, existing: Stats): Promise<string> {
  if (existing.uid !== process.getuid?.() || existing.gid !== process.getgid?.()) {
    try {
      await handle.chown(existing.uid, existing.gid);
    } catch (error) {
      throw new Error(
        `${target} is owned by uid ${existing.uid}, gid ${existing.gid}, which this user cannot give the new file (${(error as NodeJS.ErrnoException).code ?? 'error'}); run the command as that user or as root`,
      );
    }
  }
  const before = existing.mode & 0o7777;
  const after = before & ~NEVER_KEPT;
  await handle.chmod(after);
  return after === before ? '' : `tightened the mode of ${target} from ${octal(before)} to ${octal(after)}: a file of secrets is never open to other users, nor writable by its group`;
}

const octal = (mode: number): string => `0${mode.toString(8).padStart(3, '0')}`;
