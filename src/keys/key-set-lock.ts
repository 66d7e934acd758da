/**
 * One change at a time to a SIGNING_KEYS_FILE. Each `tokenvend keys` change reads the set, changes
 * it and writes it back; two at once would each write their own version and the later one would
 * silently drop the other's key. A change first creates FILE.lock exclusively, as git does with
 * index.lock: a second run fails at once, naming the lock, instead of waiting or guessing.
 */
import { rm, writeFile } from 'node:fs/promises';

/** Thrown when another run holds the lock; the message says how to clear a lock left behind. */
export class KeySetLockedError extends Error {
  readonly code = 'ERR_TOKENVEND_KEY_SET_LOCKED';

  constructor(readonly file: string, readonly lockFile: string) {
    super(`${file} is being changed by another tokenvend keys run (${lockFile} exists; if no other run is going on, delete it)`);
    this.name = 'KeySetLockedError';
  }
}

/**
 * Runs `change` while holding FILE.lock (beside the file, so on the same file system), and removes
 * the lock when it ends, however it ends.
 *
 * @example
 * await withKeySetLock('keys.json', async () => {
 *   const { document } = await readKeySetFile('keys.json');
 *   await writeKeySetFile('keys.json', { keys: [...document.keys, added] });
 * });
 */
export async function withKeySetLock<T>(file: string, change: () => Promise<T>): Promise<T> {
  const lockFile = `${file}.lock`;
  // Created only if absent; it holds the pid, for whoever finds a lock left behind by a killed run.
  await writeFile(lockFile, `${process.pid}\n`, { flag: 'wx', mode: 0o600 }).catch(async (error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new KeySetLockedError(file, lockFile);
    await rm(lockFile, { force: true });
    throw new Error(`cannot lock ${file} (${code ?? 'unknown error'})`, { cause: error });
  });
  try {
    return await change();
  } finally {
    await rm(lockFile, { force: true });
  }
}
