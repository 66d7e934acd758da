/** `tokenvend org-keys`: manage ORG_KEYS_FILE, the per-org signing keys (set, remove, list). */
import { readFile } from 'node:fs/promises';
import { ORG_ID_PATTERN } from '../../config/options.js';
import { withKeySetLock } from '../../keys/key-set-lock.js';
import { OrgKeysError, parseOrgKeys } from '../../keys/org-keys.js';
import { writeFileAtomically } from '../../keys/write-file-atomically.js';
import type { CliIo, Command } from '../cli-io.js';
import { parseCommandLine } from '../parse-command-line.js';
import { readStdin } from '../read-stdin.js';
import { runCommand, type CommandHelp } from '../run-command.js';
import { stderrNote } from '../stderr-note.js';
import { UsageError } from '../usage-error.js';

export const ORG_KEYS_HELP: CommandHelp = {
  name: 'org-keys',
  text: `Usage: tokenvend org-keys (set ORG_ID [--from-env VAR] | remove ORG_ID | list) [--file FILE]

Manages ORG_KEYS_FILE: a JSON object mapping each orgId to that org's own signing key. Each change
is validated as the service validates it, then written atomically while FILE.lock is held (the
lock tokenvend keys takes): a new file with mode 0600, an existing one with its owner and mode less
any permission for other users and its group's write (stderr notes the change). Running services pick it up (file watch
or SIGHUP).
Key material is read from stdin or an environment variable, never from the command line, and is
never printed.

Subcommands:
  set ORG_ID      Give ORG_ID the key read from stdin (or from --from-env VAR): a secret string
                  (HS256; a Vapi private key is one), a PEM, or a private JWK. Creates FILE if needed.
  remove ORG_ID   Remove ORG_ID's key: its tokens are signed with the service key again (or refused).
  list            Show each org's algorithm and kid.

Options:
  --file FILE       The org keys file (default: $ORG_KEYS_FILE).
  --from-env VAR    For set: read the key from the environment variable VAR instead of stdin.
  -h, --help        Show this help.

Examples:
  printf %s "$VAPI_PRIVATE_KEY" | tokenvend org-keys set 3f2b6c1e-8e2a-4c55-9d7a-0c4bb1c0a001 --file org-keys.json
  tokenvend org-keys set org_a --from-env ORG_A_KEY --file org-keys.json
  tokenvend org-keys list --file org-keys.json
`,
};

const OPTIONS = {
  file: { type: 'string' },
  'from-env': { type: 'string' },
} as const;

type OrgKeysDocument = Record<string, unknown>;

/**
 * @example
 * await orgKeys(['set', 'org_a', '--file', 'org-keys.json'], io); // the key from io.stdin
 */
export const orgKeys: Command = (argv, io) =>
  runCommand(ORG_KEYS_HELP, argv, io, async () => {
    const { values, positionals } = parseCommandLine(argv, OPTIONS);
    const [subcommand, orgId, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError('too many arguments');
    const file = values.file ?? io.env.ORG_KEYS_FILE;
    if (!file) throw new UsageError('--file (or ORG_KEYS_FILE) is missing');
    const needsOrg = subcommand === 'set' || subcommand === 'remove';
    if (needsOrg && orgId === undefined) throw new UsageError(`${subcommand} needs the ORG_ID`);
    if (!needsOrg && orgId !== undefined) throw new UsageError(`${subcommand ?? 'org-keys'} takes no ORG_ID`);
    if (orgId !== undefined && !ORG_ID_PATTERN.test(orgId)) throw new UsageError('ORG_ID must be 1-128 characters from A-Z a-z 0-9 . _ : @ -');
    if (values['from-env'] !== undefined && subcommand !== 'set') throw new UsageError('--from-env applies to set only');

    switch (subcommand) {
      case 'set': {
        const material = await readMaterial(values['from-env'], io);
        return change(file, io, (document) => {
          const replaced = orgId as string in document;
          document[orgId as string] = asStored(material);
          return `${replaced ? 'replaced' : 'set'} the key of org ${orgId as string}`;
        });
      }
      case 'remove':
        return change(file, io, (document) => {
          if (!(orgId as string in document)) throw new Error(`org ${orgId as string} has no key in ${file}`);
          delete document[orgId as string];
          return `removed the key of org ${orgId as string}; its tokens are signed with the service key, or refused without one`;
        });
      case 'list': {
        const keys = await parseOrgKeys(await readDocumentText(file)).catch(describeInvalid(file));
        const rows = [...keys].map(([org, key]) => [org, key.alg, key.publicJwk ? (key.kid ?? '') : '(HMAC: not published)']);
        const width = Math.max(6, ...rows.map(([org]) => (org as string).length));
        io.stdout.write(`${'ORG_ID'.padEnd(width)}  ALG    KID\n`);
        for (const [org, alg, kid] of rows) io.stdout.write(`${(org as string).padEnd(width)}  ${(alg as string).padEnd(5)}  ${kid as string}\n`);
        return 0;
      }
      default:
        throw new UsageError(subcommand === undefined ? 'the subcommand is missing' : 'unknown subcommand');
    }
  });

/** A JWK given as JSON text is stored as an object, so the file stays readable; anything else as the string. */
function asStored(material: string): unknown {
  const text = material.trim();
  if (text.startsWith('{')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // Left as a string: the validation below names the problem.
    }
  }
  return material;
}

async function readMaterial(variable: string | undefined, io: CliIo): Promise<string> {
  if (variable !== undefined) {
    const value = io.env[variable];
    if (value === undefined || value === '') throw new UsageError(`--from-env: the variable ${variable} is not set`);
    return value;
  }
  if (io.stdin.isTTY) throw new UsageError('pipe the key into stdin (or use --from-env VAR); it is never taken from the command line');
  const material = await readStdin(io.stdin);
  if (material.trim() === '') throw new Error('stdin held no key');
  return material;
}

/** Reads, changes, validates the whole result as the service would, and writes it, under the file's lock. */
function change(file: string, io: CliIo, apply: (document: OrgKeysDocument) => string): Promise<number> {
  return withKeySetLock(file, async () => {
    const text = await readDocumentText(file, { missingIsEmpty: true });
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      throw new Error(`${file} is not valid JSON; fix or remove it first`);
    }
    if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new Error(`${file} must hold a JSON object`);
    const message = apply(document as OrgKeysDocument);
    const content = `${JSON.stringify(document, null, 2)}\n`;
    await parseOrgKeys(content).catch(describeInvalid(file));
    await writeFileAtomically(file, content, { notice: stderrNote(io) }).catch((error: unknown) => {
      throw new Error(`cannot write ${file} (${(error as NodeJS.ErrnoException).code ?? 'write error'})`);
    });
    io.stdout.write(`${message}\n`);
    return 0;
  });
}

async function readDocumentText(file: string, { missingIsEmpty = false } = {}): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && missingIsEmpty) return '{}';
    throw new Error(`cannot read ${file} (${code ?? 'read error'})`);
  }
}

/** A validation failure names the org and the problem (OrgKeysError never quotes material). */
function describeInvalid(file: string) {
  return (error: unknown): never => {
    if (error instanceof OrgKeysError) throw new Error(`${file}: ${error.message}`);
    throw error;
  };
}
