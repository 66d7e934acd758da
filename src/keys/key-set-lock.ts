/**
 * One change at a time to a SIGNING_KEYS_FILE. Each `tokenvend keys` change reads the set, changes
 * it and writes it back; two at once would each write their own version and the later one would
 * silently drop the other's key. A change first creates FILE.lock exclusively, as git does with
 * index.lock: a second run fails at once, naming the lock, instead of waiting or guessing; and, as
 * with git, the lock goes when the run ends, by Ctrl-C or kill too (only SIGKILL or a crash leave it).
 */
import { rmSync } from 'node:fs';
import { open } from 'node:fs/promises';

/** Thrown when another run holds the lock; the message says how to clear a lock left behind. */
export class KeySetLockedError extends Error {
  readonly code = 'ERR_TOKENVEND_KEY_SET_LOCKED';

  constructor(readonly file: string, readonly lockFile: string, holder = 'tokenvend keys') {
    super(`${file} is being changed by another ${holder} run (${lockFile} exists; if no other run is going on, delete it)`);
    this.name = 'KeySetLockedError';
  }
}

const RELEASE_ON: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs `change` while holding FILE.lock (beside the file, so on the same file system), and removes
 * the lock when it ends, however it ends. `holder` names the command in the message a second run
 * gets (`tokenvend keys` unless given; `tokenvend callers` locks CALLERS_FILE the same way).
 *
 * @example
 * await withKeySetLock('keys.json', async () => {
 *   const { document } = await readKeySetFile('keys.json');
 *   await writeKeySetFile('keys.json', { keys: [...document.keys, added] });
 * });
 */
export async function withKeySetLock<T>(file: string, change: () => Promise<T>, { holder = 'tokenvend keys' }: { holder?: string } = {}): Promise<T> {
  const lockFile = `${file}.lock`;
  const handle = await open(lockFile, 'wx', 0o600).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    throw code === 'EEXIST' ? new KeySetLockedError(file, lockFile, holder) : new Error(`cannot lock ${file} (${code ?? 'unknown error'})`, { cause: error });
  });
  // From here on the lock is this run's own.
  const release = () => rmSync(lockFile, { force: true });
  const releaseAndDie = (signal: NodeJS.Signals) => {
    release();
    for (const name of RELEASE_ON) process.off(name, releaseAndDie);
    // No listener is left, so the signal now does what it would have done: end the process.
    process.kill(process.pid, signal);
  };
  for (const name of RELEASE_ON) process.on(name, releaseAndDie);
  try {
    // Who holds it, for whoever finds a lock left behind.
    await handle.writeFile(`${process.pid}\n`);
    return await change();
  } finally {
    for (const name of RELEASE_ON) process.off(name, releaseAndDie);
    release();
    await handle.close();
  }
}
