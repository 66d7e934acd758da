/** node:util parseArgs in strict mode, with its errors turned into UsageErrors that quote no values. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error.js';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

export interface CommandLine<O extends OptionsConfig> {
  readonly values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>['values'];
  readonly positionals: string[];
}

/**
 * Parses a command's arguments. parseArgs' own messages can quote what was typed (a positional may
 * be a secret key), so they are rebuilt from the error code and the option name alone.
 *
 * @example
 * const { values, positionals } = parseCommandLine(argv, { jwk: { type: 'boolean' } });
 */
export function parseCommandLine<O extends OptionsConfig>(argv: readonly string[], options: O): CommandLine<O> {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    return { values, positionals };
  } catch (error) {
    throw toUsageError(error);
  }
}

function toUsageError(error: unknown): UsageError {
  const { code, message } = error as { code?: string; message?: string };
  const option = optionName(message ?? '');
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(option ? `unknown option ${option}` : 'unknown option');
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return new UsageError(
        option === undefined ? 'an option has an invalid value' : /does not take an argument/.test(message ?? '') ? `${option} does not take a value` : `${option} needs a value`,
      );
    default:
      return new UsageError('the arguments cannot be read');
  }
}

/** The first quoted `-x` / `--name` of a parseArgs message; a `=value` part is never kept. */
function optionName(message: string): string | undefined {
  const name = /'(--?[A-Za-z0-9][A-Za-z0-9-]{0,39})(?=[ '=])/.exec(message)?.[1];
  return name;
}

/**
 * True when `-h` or `--help` comes before any `--`: help wins over every other problem of the line.
 *
 * @example
 * wantsHelp(['--org', 'a', '-h']); // true
 */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '-h' || arg === '--help');
}
