/** `tokenvend callers`: add, revoke and list the callers of a CALLERS_FILE; running services pick the change up. */
import { sha256Hex } from '../../auth/caller-registry.js';
import { readCallersFile, writeCallersFile, type StoredCaller } from '../../auth/callers-file.js';
import { generateCallerKey } from '../../auth/generate-caller-key.js';
import { ORG_ID_PATTERN } from '../../config/options.js';
import { withKeySetLock } from '../../keys/key-set-lock.js';
import { parseDuration } from '../../signer/duration.js';
import { CALLER_ID_PATTERN } from '../callers-entry.js';
import type { CliIo, Command } from '../cli-io.js';
import { parseCommandLine } from '../parse-command-line.js';
import { runCommand, type CommandHelp } from '../run-command.js';
import { stderrNote } from '../stderr-note.js';
import { UsageError } from '../usage-error.js';

const TAGS = ['private', 'public'] as const;

export const CALLERS_HELP: CommandHelp = {
  name: 'callers',
  text: `Usage: tokenvend callers (add ID [--orgs A,B] [--tags T,T] [--max-ttl D] | revoke ID | list) [--file FILE]

Changes the callers of CALLERS_FILE. Each change is validated as the service validates the file,
then written atomically: a new file with mode 0600, an existing one with its owner and mode less
any permission for other users and its group's write (stderr notes the change). Running services reload it (file
watch or SIGHUP), so a revoked caller's next request is refused. Tokens it was already given stay
valid until they expire (rotate the signing key to cut that short). A change holds FILE.lock
while it runs.
The file stores only each key's SHA-256; list never shows hashes or keys.

Subcommands:
  add ID        Add caller ID with a new key (256 random bits). The key is printed once, on
                stdout: put it in the caller's secret store at once, it cannot be shown again.
  revoke ID     Remove caller ID.
  list          Show each caller's id, orgs and tags.

Options:
  --file FILE       The callers file (default: $CALLERS_FILE). add creates it when missing.
  --orgs A,B        For add: the org ids the caller may ask for (default "*": any org).
  --tags T,T        For add: the scope tags the caller may ask for: ${TAGS.join(', ')}.
  --max-ttl D       For add: the longest token lifetime it may ask for ("15m", "1h", seconds).
  -h, --help        Show this help.

Examples:
  tokenvend callers add billing-backend --orgs org_a,org_b --tags private --max-ttl 15m --file callers.json
  tokenvend callers revoke billing-backend --file callers.json
  tokenvend callers list --file callers.json
`,
};

const OPTIONS = {
  file: { type: 'string' },
  orgs: { type: 'string' },
  tags: { type: 'string' },
  'max-ttl': { type: 'string' },
} as const;

/**
 * @example
 * await callers(['add', 'web', '--orgs', 'org_a', '--file', 'callers.json'], io); // 0, prints the new key once
 */
export const callers: Command = (argv, io) =>
  runCommand(CALLERS_HELP, argv, io, async () => {
    const { values, positionals } = parseCommandLine(argv, OPTIONS);
    const [subcommand, id, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError('too many arguments');
    const file = values.file ?? io.env.CALLERS_FILE;
    if (!file) throw new UsageError('--file (or CALLERS_FILE) is missing');
    const addOnly = (['orgs', 'tags', 'max-ttl'] as const).find((name) => values[name] !== undefined);
    if (addOnly !== undefined && subcommand !== 'add') throw new UsageError(`--${addOnly} goes with add`);
    if (subcommand === 'list') {
      if (id !== undefined) throw new UsageError('list takes no ID');
      printList((await read(file))?.entries ?? [], file, io);
      return 0;
    }
    if (subcommand !== 'add' && subcommand !== 'revoke') throw new UsageError(subcommand === undefined ? 'the subcommand is missing' : 'unknown subcommand');
    if (id === undefined) throw new UsageError(`${subcommand} needs the caller ID`);
    if (!CALLER_ID_PATTERN.test(id)) throw new UsageError('the ID must be 1-64 characters from A-Z a-z 0-9 . _ : @ -');

    if (subcommand === 'add') {
      const fields = addFields(values);
      return withLock(file, async () => {
        const entries = (await read(file))?.entries ?? [];
        if (entries.some((entry) => entry.id === id)) throw new Error(`caller ${id} already exists (revoke it first to give it a new key)`);
        const key = generateCallerKey();
        await write(file, io, [...entries, { id, keySha256: sha256Hex(key), ...fields }]);
        // The key on stdout alone (scripts capture it); what to do with it on stderr.
        io.stderr.write(`added caller ${id} to ${file}; its key follows, shown this once: store it in the caller's secret store now\n`);
        io.stdout.write(`${key}\n`);
        return 0;
      });
    }
    return withLock(file, async () => {
      const current = await read(file);
      const entries = current?.entries ?? [];
      if (!entries.some((entry) => entry.id === id)) throw new Error(`no caller ${id} in ${file} (tokenvend callers list shows them)`);
      const remaining = entries.filter((entry) => entry.id !== id);
      if (remaining.length === 0) throw new Error(`${id} is the last caller of ${file}; the service needs at least one (add another first)`);
      await write(file, io, remaining);
      io.stdout.write(`revoked caller ${id}: running services refuse its key once they reload ${file}; tokens it already has stay valid until they expire\n`);
      return 0;
    });
  });

function addFields(values: { orgs?: string | undefined; tags?: string | undefined; 'max-ttl'?: string | undefined }): Record<string, unknown> {
  const orgs = values.orgs === undefined ? ['*'] : list(values.orgs);
  if (orgs.length === 0 || orgs.some((org) => org !== '*' && !ORG_ID_PATTERN.test(org))) throw new UsageError('--orgs must be "*" or org ids separated by commas');
  const tags = values.tags === undefined ? undefined : list(values.tags);
  if (tags !== undefined && (tags.length === 0 || tags.some((tag) => !(TAGS as readonly string[]).includes(tag)))) throw new UsageError(`--tags must list ${TAGS.join(' and/or ')}, separated by commas`);
  const maxTtl = values['max-ttl'];
  if (maxTtl !== undefined && (parseDuration(maxTtl) ?? 0) < 60) throw new UsageError('--max-ttl must be at least 60 seconds, as seconds or "15m"-style');
  return { orgs: [...new Set(orgs)], ...(tags !== undefined && { tags: [...new Set(tags)] }), ...(maxTtl !== undefined && { maxTtl }) };
}

const list = (raw: string): string[] => raw.split(',').map((part) => part.trim()).filter((part) => part !== '');

function withLock(file: string, change: () => Promise<number>): Promise<number> {
  return withKeySetLock(file, change, { holder: 'tokenvend callers' });
}

const read = (file: string) => readCallersFile(file).catch(fileError(file, 'read'));
const write = (file: string, io: CliIo, entries: readonly StoredCaller[]) => writeCallersFile(file, entries, { notice: stderrNote(io) }).catch(fileError(file, 'write'));

/** File errors name the file and the errno; validation errors (ConfigError, naming the file and entry) pass as they are. */
function fileError(file: string, action: string) {
  return (error: unknown): never => {
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('E')) throw new Error(`cannot ${action} ${file} (${code})`);
    throw error;
  };
}

function printList(entries: readonly StoredCaller[], file: string, io: CliIo): void {
  if (entries.length === 0) {
    io.stderr.write(`${file} does not exist yet; tokenvend callers add creates it\n`);
    return;
  }
  const text = (value: unknown): string => (Array.isArray(value) ? value.join(',') : '-');
  const rows = entries.map((entry) => [entry.id, text(entry.orgs), text(entry.tags)] as const);
  const idWidth = Math.max(2, ...rows.map(([id]) => id.length));
  const orgsWidth = Math.max(4, ...rows.map(([, orgs]) => orgs.length));
  io.stdout.write(`${'ID'.padEnd(idWidth)}  ${'ORGS'.padEnd(orgsWidth)}  TAGS\n`);
  for (const [id, orgs, tags] of rows) io.stdout.write(`${id.padEnd(idWidth)}  ${orgs.padEnd(orgsWidth)}  ${tags}\n`);
}
