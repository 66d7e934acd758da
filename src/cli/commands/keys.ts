/** `tokenvend keys`: manage a SIGNING_KEYS_FILE for rotation without downtime (init, add, promote, retire, list). */
import { ASYMMETRIC_ALGORITHMS } from '../../keys/algorithms.js';
import { KEY_TIMES, keyTime, readKeySetFile, writeKeySetFile, type KeySetDocument, type StoredJwk } from '../../keys/key-set-file.js';
import { withKeySetLock } from '../../keys/key-set-lock.js';
import type { SigningKey } from '../../keys/signing-key.js';
import { options as configOptions } from '../../config/options.js';
import type { CliIo, Command } from '../cli-io.js';
import { generatePrivateKey, toPrivateJwk, type KeygenAlgorithm } from '../generate-private-key.js';
import { parseCommandLine } from '../parse-command-line.js';
import { runCommand, type CommandHelp } from '../run-command.js';
import { stderrNote } from '../stderr-note.js';
import { UsageError } from '../usage-error.js';

export const KEYS_HELP: CommandHelp = {
  name: 'keys',
  text: `Usage: tokenvend keys (init | add | promote KID | retire KID | list) [--file FILE] [--alg ALG] [--kid KID] [--force]

Manages the JWK Set of SIGNING_KEYS_FILE. The first key signs; every key is published in the JWKS.
Each change is validated as the service validates it, then written atomically: a new file with
mode 0600, an existing one with its owner and mode less any permission for other users and its group's write (stderr
notes the change). Running services pick it up (file watch or SIGHUP). A change holds FILE.lock while it runs, so a
second run at the same time fails instead of losing the first one's change. No private key
material is ever printed.

Subcommands:
  init          Create FILE with one new key (refuses to overwrite).
  add           Append a new key: published at once, not signing yet.
  promote KID   Make KID the signing key (it moves first). Refused until JWKS_MAX_AGE has passed
                since KID was added, so that every verifier's cached JWKS holds it.
  retire KID    Remove KID from the set (not the signing key: promote another first). Refused
                until TOKEN_MAX_TTL + JWKS_MAX_AGE have passed since KID stopped signing, so that
                no token it signed is still alive.
  list          Show each key's kid, alg and role.

Options:
  --file FILE   The key set file (default: $SIGNING_KEYS_FILE).
  --alg ALG     For init/add: ${ASYMMETRIC_ALGORITHMS.join(', ')} (default ES256).
  --kid KID     For init/add: the new key's kid (default: its RFC 7638 thumbprint).
                For promote/retire: the key to act on, instead of the KID argument. A thumbprint
                may start with "-", which would read as an option: write --kid=KID or "-- KID".
  --force       Promote or retire before it is safe (tokens may then fail to verify).
  -h, --help    Show this help.

The file records when each key was added, promoted and stopped signing (members the JWKS never
publishes). JWKS_MAX_AGE and TOKEN_MAX_TTL are read from the environment as the service reads
them (defaults 300 s and 1h): run the command with the service's values.

Rotation runbook (see README): add → wait JWKS_MAX_AGE → promote → wait TOKEN_MAX_TTL +
JWKS_MAX_AGE → retire the old key. A refusal says when the step becomes safe.

Examples:
  tokenvend keys init --alg ES256 --file keys.json
  tokenvend keys add --file keys.json
  tokenvend keys promote --kid 3q2X… --file keys.json
  tokenvend keys list --file keys.json
`,
};

const OPTIONS = {
  file: { type: 'string' },
  alg: { type: 'string' },
  kid: { type: 'string' },
  force: { type: 'boolean' },
} as const;

/**
 * @example
 * await keys(['init', '--file', 'keys.json'], io); // 0, "created keys.json: ES256 key <kid> signs"
 */
export const keys: Command = (argv, io) =>
  runCommand(KEYS_HELP, argv, io, async () => {
    const { values, positionals } = parseCommandLine(argv, OPTIONS);
    const [subcommand, positionalKid, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError('too many arguments');
    const file = values.file ?? io.env.SIGNING_KEYS_FILE;
    if (!file) throw new UsageError('--file (or SIGNING_KEYS_FILE) is missing');
    const needsKid = subcommand === 'promote' || subcommand === 'retire';
    if (needsKid && positionalKid !== undefined && values.kid !== undefined) throw new UsageError('give the KID once: as an argument or with --kid');
    const kid = needsKid ? (positionalKid ?? values.kid) : positionalKid;
    if (needsKid && kid === undefined) throw new UsageError(`${subcommand} needs the KID`);
    if (!needsKid && kid !== undefined) throw new UsageError(`${subcommand ?? 'keys'} takes no KID`);
    if (values.alg !== undefined && subcommand !== 'init' && subcommand !== 'add') throw new UsageError('--alg goes with init and add');
    if (values.kid !== undefined && !needsKid && subcommand !== 'init' && subcommand !== 'add') throw new UsageError('--kid goes with init, add, promote and retire');
    if (values.force && !needsKid) throw new UsageError('--force goes with promote and retire');
    const now = (io.clock ?? Date.now)();
    const stamp = new Date(now).toISOString();
    const waits = needsKid ? rotationWaits(io) : undefined;

    switch (subcommand) {
      case 'init': {
        const first = { ...(await newKey(values.alg, values.kid)), [KEY_TIMES.added]: stamp, [KEY_TIMES.promoted]: stamp };
        const written = await writeKeySetFile(file, { keys: [first] }, { exclusive: true, notice: stderrNote(io) }).catch(fileError(file, 'create'));
        io.stdout.write(`created ${file}: ${describe(written[0])} signs\n`);
        return 0;
      }
      case 'add':
        return changeSet(file, io, async (document) => {
          const added: StoredJwk = { ...(await newKey(values.alg, values.kid)), [KEY_TIMES.added]: stamp };
          if (document.keys.some((key) => key.kid === added.kid)) throw new Error(`a key with kid ${added.kid} is already in the set`);
          await write(file, io, { keys: [...document.keys, added] });
          const wait = (waits ?? rotationWaits(io)).promote;
          return `added ${added.alg as string} key ${added.kid}: published, not signing. Promote it once verifiers have fetched the new JWKS: from ${safeAt(now, wait)} (JWKS_MAX_AGE, ${formatSeconds(wait)}).\n`;
        });
      case 'promote':
        return changeSet(file, io, async (document) => {
          const chosen = find(document, kid as string);
          const previous = document.keys[0];
          if (previous?.kid === chosen.kid) return `${chosen.kid} already signs\n`;
          const { promote: wait } = waits as RotationWaits;
          const note = refuseUntilSafe(values.force, now, keyTime(chosen, 'added'), wait, `${chosen.kid} was added`, 'verifiers may cache the JWKS for JWKS_MAX_AGE', 'promote');
          const promoted = withoutTime({ ...chosen, [KEY_TIMES.promoted]: stamp }, 'stoppedSigning');
          const stopped = previous === undefined ? [] : [{ ...previous, [KEY_TIMES.stoppedSigning]: stamp }];
          const written = await write(file, io, { keys: [promoted, ...stopped, ...document.keys.slice(1).filter((key) => key !== chosen)] });
          const retireWait = (waits as RotationWaits).retire;
          return `${note}${describe(written[0])} signs now; ${written.length - 1} other key(s) stay published${
            previous === undefined ? '' : `. ${previous.kid} may be retired from ${safeAt(now, retireWait)} (TOKEN_MAX_TTL + JWKS_MAX_AGE, ${formatSeconds(retireWait)})`
          }\n`;
        });
      case 'retire':
        return changeSet(file, io, async (document) => {
          const chosen = find(document, kid as string);
          if (document.keys[0] === chosen) throw new Error(`${chosen.kid} is the signing key; promote another key before retiring it`);
          const { retire: wait } = waits as RotationWaits;
          // A key that was added and never signed has no tokens out there: it may go at once.
          const neverSigned = keyTime(chosen, 'added') !== undefined && keyTime(chosen, 'promoted') === undefined;
          const note = neverSigned
            ? ''
            : refuseUntilSafe(values.force, now, keyTime(chosen, 'stoppedSigning'), wait, `${chosen.kid} stopped signing`, 'its tokens live up to TOKEN_MAX_TTL and verifiers may cache the JWKS for JWKS_MAX_AGE', 'retire');
          await write(file, io, { keys: document.keys.filter((key) => key !== chosen) });
          return `${note}retired ${chosen.kid}: no longer published; tokens it signed no longer verify\n`;
        });
      case 'list': {
        const { keys: loaded } = await read(file);
        printList(loaded, io);
        return 0;
      }
      default:
        throw new UsageError(subcommand === undefined ? 'the subcommand is missing' : 'unknown subcommand');
    }
  });

/**
 * Reads the set, applies `change` (which writes the new set and returns what to print) and prints
 * the result, all under the set's lock, so two runs cannot lose each other's key.
 */
function changeSet(file: string, io: CliIo, change: (document: KeySetDocument) => Promise<string>): Promise<number> {
  return withKeySetLock(file, async () => {
    io.stdout.write(await change((await read(file)).document));
    return 0;
  });
}

async function newKey(alg = 'ES256', kid?: string): Promise<StoredJwk> {
  if (!(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)) throw new UsageError(`--alg must be one of ${ASYMMETRIC_ALGORITHMS.join(', ')}`);
  if (kid !== undefined && !configOptions.KEY_ID.schema.safeParse(kid).success) throw new UsageError('--kid must be 1-128 printable ASCII characters without spaces');
  const jwk = await toPrivateJwk(await generatePrivateKey(alg as KeygenAlgorithm), alg as KeygenAlgorithm, kid);
  return jwk as StoredJwk;
}

function find(document: KeySetDocument, kid: string): StoredJwk {
  const found = document.keys.find((key) => key.kid === kid);
  if (!found) throw new Error(`no key with that kid in the set (tokenvend keys list shows them)`);
  return found;
}

interface RotationWaits {
  /** Seconds from `add` to a safe `promote`: JWKS_MAX_AGE. */
  readonly promote: number;
  /** Seconds from "stopped signing" to a safe `retire`: TOKEN_MAX_TTL + JWKS_MAX_AGE. */
  readonly retire: number;
}

/** JWKS_MAX_AGE and TOKEN_MAX_TTL as the service reads them (src/config/options.ts), defaults included. */
function rotationWaits(io: CliIo): RotationWaits {
  const setting = (name: 'JWKS_MAX_AGE' | 'TOKEN_MAX_TTL'): number => {
    const spec = configOptions[name];
    const parsed = spec.schema.safeParse(io.env[name] || spec.default);
    if (!parsed.success) throw new Error(`${name}: ${parsed.error.issues[0]?.message ?? 'is invalid'}`);
    return parsed.data;
  };
  const jwksMaxAge = setting('JWKS_MAX_AGE');
  return { promote: jwksMaxAge, retire: setting('TOKEN_MAX_TTL') + jwksMaxAge };
}

/**
 * Refuses (unless forced) a step sooner than `wait` seconds after `since`, saying when it becomes
 * safe; returns a note to print first when the step goes ahead unsafely or without a record.
 */
function refuseUntilSafe(force: boolean | undefined, now: number, since: number | undefined, wait: number, what: string, why: string, step: string): string {
  if (since === undefined) return `note: the file has no record of when ${what} (a set written by hand or by an older version); make sure ${formatSeconds(wait)} have passed\n`;
  const remaining = Math.ceil((since + wait * 1000 - now) / 1000);
  if (remaining <= 0) return '';
  const when = `${what} ${formatSeconds(Math.floor((now - since) / 1000))} ago and ${why} (${formatSeconds(wait)}): ${step} is safe from ${safeAt(since, wait)}, in ${formatSeconds(remaining)}`;
  if (!force) throw new Error(`${when}. Run it again then, or pass --force`);
  return `warning: --force: ${when}; tokens may fail to verify until then\n`;
}

function withoutTime(key: StoredJwk, which: keyof typeof KEY_TIMES): StoredJwk {
  const { [KEY_TIMES[which]]: _dropped, ...rest } = key;
  return rest as StoredJwk;
}

/** An absolute time, to the second. */
function safeAt(since: number, waitSeconds: number): string {
  return new Date(since + waitSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** "4m 41s", "1h 5m", "30s". */
function formatSeconds(total: number): string {
  const seconds = Math.max(0, Math.round(total));
  const parts = [
    [Math.floor(seconds / 3600), 'h'],
    [Math.floor((seconds % 3600) / 60), 'm'],
    [seconds % 60, 's'],
  ].filter(([value]) => (value as number) > 0);
  return parts.length === 0 ? '0s' : parts.map(([value, unit]) => `${value as number}${unit as string}`).join(' ');
}

const read = (file: string) => readKeySetFile(file).catch(fileError(file, 'read'));
const write = (file: string, io: CliIo, document: KeySetDocument) => writeKeySetFile(file, document, { notice: stderrNote(io) }).catch(fileError(file, 'write'));

/** File errors name the file and the errno; key set errors say where in the set, never what. */
function fileError(file: string, action: string) {
  return (error: unknown): never => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new Error(`${file} exists; init makes a new set (use add to extend it)`);
    if (code) throw new Error(`cannot ${action} ${file} (${code})`);
    throw new Error(`${file} ${(error as Error).message}`);
  };
}

function describe(key: SigningKey | undefined): string {
  return key ? `${key.alg} key ${key.kid ?? '(no kid)'}` : 'no key';
}

function printList(loaded: readonly SigningKey[], io: CliIo): void {
  const rows = loaded.map((key, index) => [key.kid ?? '', key.alg, index === 0 ? 'signing' : 'published']);
  const width = Math.max(3, ...rows.map(([kid]) => (kid as string).length));
  io.stdout.write(`${'KID'.padEnd(width)}  ALG    ROLE\n`);
  for (const [kid, alg, role] of rows) io.stdout.write(`${(kid as string).padEnd(width)}  ${(alg as string).padEnd(5)}  ${role}\n`);
}
