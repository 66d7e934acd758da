/** Reads a secret from stdin, so that it never appears in a command line or the shell's history. */
import type { TextSource } from './cli-io.js';

/** Keys and tokens are a few KiB at most; more than this is not one. */
export const MAX_STDIN_BYTES = 1024 * 1024;

/**
 * Reads stdin to its end and removes one trailing line ending (what `echo` or a file's last line adds).
 *
 * @example
 * const key = await readStdin(io.stdin); // printf %s "$KEY" | tokenvend hash-key -
 */
export async function readStdin(stdin: TextSource): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
    size += bytes.length;
    if (size > MAX_STDIN_BYTES) throw new Error(`stdin holds more than ${MAX_STDIN_BYTES} bytes`);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
