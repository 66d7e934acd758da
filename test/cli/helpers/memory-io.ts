/** Runs a command function in memory: collected stdout/stderr, a fixed environment, scripted stdin. */
import type { CliIo, Command } from '../../../src/cli/cli-io.js';

export interface IoOptions {
  readonly env?: Record<string, string>;
  /** What stdin yields; nothing when absent. */
  readonly stdin?: string | readonly string[];
  readonly isTTY?: boolean;
  readonly clock?: () => number;
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function memoryIo(options: IoOptions = {}): { io: CliIo; stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  const chunks = options.stdin === undefined ? [] : typeof options.stdin === 'string' ? [options.stdin] : options.stdin;
  const io: CliIo = {
    stdout: { write: (chunk: string) => (out += chunk) },
    stderr: { write: (chunk: string) => (err += chunk) },
    stdin: {
      isTTY: options.isTTY ?? false,
      async *[Symbol.asyncIterator]() {
        for (const chunk of chunks) yield Buffer.from(chunk);
      },
    },
    env: options.env ?? {},
    ...(options.clock && { clock: options.clock }),
  };
  return { io, stdout: () => out, stderr: () => err };
}

/** Runs `command(argv)` and returns its exit code and output. */
export async function run(command: Command, argv: readonly string[], options: IoOptions = {}): Promise<CommandResult> {
  const { io, stdout, stderr } = memoryIo(options);
  const code = await command(argv, io);
  return { code, stdout: stdout(), stderr: stderr() };
}
