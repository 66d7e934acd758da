/** The top level of `tokenvend`: finds the command in the table, or answers --help, --version and mistakes. */
import type { CliIo, CommandTable } from './cli-io.js';
import { USAGE_EXIT_CODE } from './usage-error.js';

export interface CliInfo {
  readonly version: string;
}

/**
 * Runs `tokenvend <command> [args]` and resolves with the exit status: 0 success, 1 failure, 2 usage error.
 *
 * @example
 * process.exitCode = await runCli(commands, process.argv.slice(2), io, { version: '0.1.0' });
 */
export async function runCli(commands: CommandTable, argv: readonly string[], io: CliIo, info: CliInfo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr.write(overview(commands));
    return USAGE_EXIT_CODE;
  }
  if (first === '-h' || first === '--help' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    if (topic === undefined) {
      io.stdout.write(overview(commands));
      return 0;
    }
    return dispatch(commands, topic, ['--help'], io);
  }
  if (first === '--version' || first === '-V') {
    io.stdout.write(`tokenvend ${info.version}\n`);
    return 0;
  }
  if (first.startsWith('-')) return usageError(commands, io, `unknown option ${safeWord(first.split('=', 1)[0] as string) ?? ''}`.trim());
  return dispatch(commands, first, rest, io);
}

async function dispatch(commands: CommandTable, name: string, argv: readonly string[], io: CliIo): Promise<number> {
  // Object.hasOwn: `tokenvend constructor` is not a command.
  if (!Object.hasOwn(commands, name)) {
    const word = safeWord(name);
    return usageError(commands, io, word === undefined ? 'unknown command' : `unknown command "${word}"`);
  }
  return (commands[name] as CommandTable[string]).run(argv, io);
}

function usageError(commands: CommandTable, io: CliIo, message: string): number {
  io.stderr.write(`tokenvend: ${message}\n\n${overview(commands)}`);
  return USAGE_EXIT_CODE;
}

/** Echoes what was typed only when it looks like a command name: a misplaced secret is never repeated. */
function safeWord(text: string): string | undefined {
  return /^-{0,2}[A-Za-z][A-Za-z0-9-]{0,31}$/.test(text) ? text : undefined;
}

function overview(commands: CommandTable): string {
  const names = Object.keys(commands);
  const width = Math.max(...names.map((name) => name.length));
  const lines = names.map((name) => `  ${name.padEnd(width)}  ${(commands[name] as CommandTable[string]).summary}`);
  return `Usage: tokenvend <command> [options]

Operator tools for tokenvend: signing keys, caller keys, and tokens.

Commands:
${lines.join('\n')}

Run "tokenvend <command> --help" for a command's options and examples.
Exit status: 0 success, 1 failure, 2 usage error.
`;
}
