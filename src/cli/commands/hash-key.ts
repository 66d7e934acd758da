/** `tokenvend hash-key`: the SHA-256 a CALLERS entry stores for a caller key, or a new key and its hash. */
import { sha256Hex } from '../../auth/caller-registry.js';
import { callerKeyProblem } from '../../auth/caller-key-format.js';
import { generateCallerKey } from '../../auth/generate-caller-key.js';
import { CALLER_ID_PATTERN, callersEntry } from '../callers-entry.js';
import { ORG_ID_PATTERN } from '../../config/options.js';
import type { CliIo, Command } from '../cli-io.js';
import { parseCommandLine } from '../parse-command-line.js';
import { readStdin } from '../read-stdin.js';
import { runCommand, type CommandHelp } from '../run-command.js';
import { UsageError } from '../usage-error.js';

export const HASH_KEY_HELP: CommandHelp = {
  name: 'hash-key',
  text: `Usage: tokenvend hash-key (KEY | - | --new) [--id ID] [--orgs ORG,ORG]

Prints the lowercase hex SHA-256 of a caller key: the "keySha256" of its CALLERS entry.
The service stores only this hash, never the key.

A caller key is "tv_", 43 random base62 characters (0-9 A-Z a-z) and a 6-character CRC32
checksum: 52 characters. The service refuses any other key before looking it up, so this
command refuses to hash one (exit 1): make a new key with --new.

Arguments:
  KEY           The caller key. Note that it then lands in your shell history.
  -             Read the key from stdin instead (one trailing newline is removed), so it stays out
                of the shell history and the process list.

Options:
  --new         Make a new strong caller key (over 256 random bits, checksummed) and print the key,
                its hash and a CALLERS entry. Store the key in the caller's secret store at once:
                it is not shown again.
  --id ID       The caller id of the CALLERS entry (default "caller" with --new). With KEY or -,
                print the entry instead of the bare hash.
  --orgs LIST   The orgs the CALLERS entry allows, comma-separated (default "*": every org).
  -h, --help    Show this help.

Examples:
  tokenvend hash-key --new --id billing-backend --orgs org_a,org_b
  printf %s "$CALLER_KEY" | tokenvend hash-key -
  tokenvend hash-key - < caller-key.txt
`,
};

const OPTIONS = {
  new: { type: 'boolean' },
  id: { type: 'string' },
  orgs: { type: 'string' },
} as const;

/**
 * @example
 * await hashKey(['abc'], io); // 0, 'ba7816bf…15ad\n' on io.stdout
 */
export const hashKey: Command = (argv, io) =>
  runCommand(HASH_KEY_HELP, argv, io, async () => {
    const { values, positionals } = parseCommandLine(argv, OPTIONS);
    if (values.id !== undefined && !CALLER_ID_PATTERN.test(values.id)) throw new UsageError('--id must be 1-64 characters from A-Z a-z 0-9 . _ : @ -');
    const orgs = values.orgs === undefined ? undefined : parseOrgs(values.orgs);
    if (values.new) {
      if (positionals.length > 0) throw new UsageError('--new takes no KEY');
      const key = generateCallerKey();
      const keySha256 = sha256Hex(key);
      io.stdout.write(`key:           ${key}\nkeySha256:     ${keySha256}\ncallers entry: ${JSON.stringify(callersEntry(values.id ?? 'caller', keySha256, orgs))}\n`);
      return 0;
    }
    if (positionals.length === 0) throw new UsageError('the KEY (or - for stdin, or --new) is missing');
    if (positionals.length > 1) throw new UsageError('takes one KEY');
    const key = await readKey(positionals[0] as string, io);
    const problem = callerKeyProblem(key);
    // A CALLERS entry for such a key could never authenticate: the service refuses the key before the lookup.
    if (problem !== undefined) throw new Error(`not a caller key: ${problem}. Make one with "tokenvend hash-key --new"`);
    const keySha256 = sha256Hex(key);
    // --orgs asks for an entry as --id does; its id then defaults as with --new.
    const entryId = values.id ?? (orgs === undefined ? undefined : 'caller');
    io.stdout.write(entryId === undefined ? `${keySha256}\n` : `${JSON.stringify(callersEntry(entryId, keySha256, orgs))}\n`);
    return 0;
  });

/** The --orgs list, checked by the rule CALLERS applies to `orgs` (src/auth/caller.ts). */
function parseOrgs(list: string): string[] {
  const orgs = list.split(',').map((org) => org.trim());
  if (orgs.some((org) => org !== '*' && !ORG_ID_PATTERN.test(org))) {
    throw new UsageError('--orgs must be "*" or a comma-separated list of org ids (1-128 characters from A-Z a-z 0-9 . _ : @ -)');
  }
  return [...new Set(orgs)];
}

async function readKey(argument: string, io: CliIo): Promise<string> {
  if (argument !== '-') {
    if (argument === '') throw new UsageError('the KEY is empty');
    return argument;
  }
  if (io.stdin.isTTY) io.stderr.write('Type or paste the caller key, then press Enter and Ctrl-D:\n');
  const key = await readStdin(io.stdin);
  if (key === '') throw new Error('stdin held no key');
  return key;
}
