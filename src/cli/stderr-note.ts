/** A library's one-line notice to the person running a command (e.g. a file's mode tightened), on stderr as keygen's notes are. */
import type { CliIo } from './cli-io.js';

/**
 * @example
 * await writeCallersFile(file, entries, { notice: stderrNote(io) }); // stderr: "note: tightened the mode of …"
 */
export function stderrNote(io: CliIo): (line: string) => void {
  return (line) => io.stderr.write(`note: ${line}\n`);
}
