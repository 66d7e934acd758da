/** The shared frame of every command: --help, and errors turned into one line and an exit status. */
import { ConfigError } from '../config/config-error.js';
import type { CliIo } from './cli-io.js';
import { wantsHelp } from './parse-command-line.js';
import { USAGE_EXIT_CODE, UsageError } from './usage-error.js';

export interface CommandHelp {
  /** The command's name as typed, e.g. `hash-key`. */
  readonly name: string;
  /** The full `--help` text; its first line is the `Usage:` synopsis. */
  readonly text: string;
}

/**
 * Runs a command body: `--help` prints the help on stdout (exit 0); a UsageError prints the message
 * and synopsis on stderr (exit 2); any other error prints `tokenvend <command>: <message>` (exit 1).
 * A stack trace is never printed: messages are written to name a problem, not to quote material.
 *
 * @example
 * export const mint: Command = (argv, io) => runCommand(MINT_HELP, argv, io, async () => { ...; return 0; });
 */
export async function runCommand(help: CommandHelp, argv: readonly string[], io: CliIo, body: () => Promise<number>): Promise<number> {
  if (wantsHelp(argv)) {
    io.stdout.write(help.text.endsWith('\n') ? help.text : `${help.text}\n`);
    return 0;
  }
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) {
      const synopsis = help.text.split('\n', 1)[0] ?? '';
      io.stderr.write(`tokenvend ${help.name}: ${error.message}\n${synopsis}\nRun "tokenvend ${help.name} --help" for details.\n`);
      return USAGE_EXIT_CODE;
    }
    io.stderr.write(`tokenvend ${help.name}: ${describeFailure(error)}\n`);
    return 1;
  }
}

/** One line: ConfigError already reads `VARIABLE: problem`. */
function describeFailure(error: unknown): string {
  const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, ' ').trim() || 'failed';
}
