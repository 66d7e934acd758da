/** The command line itself is wrong (unknown option, missing argument, malformed value): exit status 2. */

/** Exit status of a usage error, as POSIX utilities and `node:util` parseArgs users expect. */
export const USAGE_EXIT_CODE = 2;

/**
 * Thrown while reading arguments; the message never quotes an argument's value, only option names.
 *
 * @example
 * if (positionals.length === 0) throw new UsageError('the key is missing');
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'ERR_TOKENVEND_CLI_USAGE';
}
