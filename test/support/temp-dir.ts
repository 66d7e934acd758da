/**
 * Temporary directories that a test file creates and that are deleted after its last test: call
 * `tempDir(prefix)` anywhere in the file (a test, a hook, a helper), nothing to clean up by hand.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from '@jest/globals';

const created: string[] = [];

// Registered when a test file first imports this module, so it runs after that file's tests.
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A new empty directory under the system's temporary directory, removed after the file's tests.
 *
 * @example
 * const file = join(tempDir('tokenvend-keys-'), 'keys.json');
 */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}
