import { createHash } from 'node:crypto';
import { hashKey } from '../../src/cli/commands/hash-key.js';
import { createCallerRegistry } from '../../src/auth/caller-registry.js';
import { parseCallers } from '../../src/auth/caller.js';
import { isWellFormedCallerKey } from '../../src/auth/caller-key-format.js';
import { run } from './helpers/memory-io.js';

// A well-formed key (43 zeros, then their CRC32 in base62) and its SHA-256, computed with Python's hashlib.
const KEY = `tv_${'0'.repeat(43)}2CZclj`;
const KEY_SHA256 = '6bb457268fc038189848664cd39fb96ec3c82ddf5c9da9ee83782cf3ea3a996b';
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const USAGE = 'Usage: tokenvend hash-key (KEY | - | --new) [--id ID] [--orgs ORG,ORG]\nRun "tokenvend hash-key --help" for details.\n';
const NOT_THE_FORMAT = 'tokenvend hash-key: not a caller key: it is not "tv_" followed by 49 characters from 0-9 A-Z a-z (52 in all). Make one with "tokenvend hash-key --new"\n';

describe('hash-key KEY', () => {
  test('prints the lowercase hex SHA-256 of a well-formed key', async () => {
    await expect(run(hashKey, [KEY])).resolves.toEqual({ code: 0, stdout: `${KEY_SHA256}\n`, stderr: '' });
  });

  test('the hash authenticates the key in the caller registry', async () => {
    const { stdout } = await run(hashKey, [KEY]);
    const registry = createCallerRegistry(parseCallers(JSON.stringify([{ id: 'web', keySha256: stdout.trim(), orgs: ['*'] }]), 'CALLERS'));
    expect(registry.authenticate(KEY)?.id).toBe('web');
  });

  test('--id prints a CALLERS entry instead of the bare hash', async () => {
    const { code, stdout } = await run(hashKey, [KEY, '--id', 'billing-backend']);
    expect(code).toBe(0);
    expect(stdout).toBe(`{"id":"billing-backend","keySha256":"${KEY_SHA256}","orgs":["*"]}\n`);
  });

  test.each<[string, string, string]>([
    ['an old-style base64url key', `tv_${'Zm9vYmFy'.repeat(5)}Zm9`, NOT_THE_FORMAT],
    ['a key with characters no Bearer header can carry', 'has space secret', NOT_THE_FORMAT],
    ['a short key', 'tv_secret', NOT_THE_FORMAT],
    [
      'a key whose checksum does not match (one character changed)',
      `tv_1${'0'.repeat(42)}2CZclj`,
      'tokenvend hash-key: not a caller key: its checksum (the last 6 characters) does not match: a character was changed, added or lost. Make one with "tokenvend hash-key --new"\n',
    ],
  ])('refuses %s (exit 1, nothing on stdout, the key not echoed): the service would refuse it before any lookup', async (_name, key, message) => {
    const { code, stdout, stderr } = await run(hashKey, [key]);
    expect({ code, stdout, stderr }).toEqual({ code: 1, stdout: '', stderr: message });
    expect(stderr).not.toContain(key);
  });
});

describe('hash-key - (stdin)', () => {
  test('reads the key from stdin and drops one trailing newline', async () => {
    await expect(run(hashKey, ['-'], { stdin: `${KEY}\n` })).resolves.toEqual({ code: 0, stdout: `${KEY_SHA256}\n`, stderr: '' });
    await expect(run(hashKey, ['-'], { stdin: `${KEY}\r\n` })).resolves.toMatchObject({ stdout: `${KEY_SHA256}\n` });
    await expect(run(hashKey, ['-'], { stdin: KEY })).resolves.toMatchObject({ stdout: `${KEY_SHA256}\n` });
  });

  test('joins chunks', async () => {
    await expect(run(hashKey, ['-'], { stdin: [KEY.slice(0, 10), KEY.slice(10), '\n'] })).resolves.toMatchObject({ code: 0, stdout: `${KEY_SHA256}\n` });
  });

  test('only one newline is dropped: the rest is part of the key, which is then refused', async () => {
    await expect(run(hashKey, ['-'], { stdin: `${KEY}\n\n` })).resolves.toEqual({ code: 1, stdout: '', stderr: NOT_THE_FORMAT });
  });

  test('prompts on stderr when stdin is a terminal', async () => {
    const { stdout, stderr } = await run(hashKey, ['-'], { stdin: `${KEY}\n`, isTTY: true });
    expect(stdout).toBe(`${KEY_SHA256}\n`);
    expect(stderr).toBe('Type or paste the caller key, then press Enter and Ctrl-D:\n');
  });

  test('empty stdin fails', async () => {
    await expect(run(hashKey, ['-'], { stdin: '\n' })).resolves.toEqual({ code: 1, stdout: '', stderr: 'tokenvend hash-key: stdin held no key\n' });
  });
});

describe('hash-key --new', () => {
  const parse = (stdout: string) => {
    const match = /^key: {11}(tv_[0-9A-Za-z]{49})\nkeySha256: {5}([0-9a-f]{64})\ncallers entry: (\{.*\})\n$/.exec(stdout);
    expect(match).not.toBeNull();
    const [, key, keySha256, entry] = match as unknown as [string, string, string, string];
    return { key, keySha256, entry: JSON.parse(entry) as Record<string, unknown> };
  };

  test('prints a well-formed key (52 characters, checksum right), its hash and a CALLERS entry the service accepts', async () => {
    const { code, stdout, stderr } = await run(hashKey, ['--new', '--id', 'billing-backend']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const { key, keySha256, entry } = parse(stdout);
    expect(key).toHaveLength(52);
    expect(isWellFormedCallerKey(key)).toBe(true);
    expect(keySha256).toBe(sha256(key));
    expect(entry).toEqual({ id: 'billing-backend', keySha256, orgs: ['*'] });
    const registry = createCallerRegistry(parseCallers(JSON.stringify([entry]), 'CALLERS'));
    expect(registry.authenticate(key)?.id).toBe('billing-backend');
  });

  test('--orgs puts the orgs in the entry, and the service enforces them', async () => {
    const { code, stdout } = await run(hashKey, ['--new', '--id', 'billing', '--orgs', 'org_a, org_b']);
    expect(code).toBe(0);
    const { key, keySha256, entry } = parse(stdout);
    expect(entry).toEqual({ id: 'billing', keySha256, orgs: ['org_a', 'org_b'] });
    const caller = createCallerRegistry(parseCallers(JSON.stringify([entry]), 'CALLERS')).authenticate(key);
    expect([...(caller?.orgs ?? [])]).toEqual(['org_a', 'org_b']);
  });

  test('--orgs with KEY prints the entry', async () => {
    await expect(run(hashKey, [KEY, '--orgs', 'org_a'])).resolves.toEqual({ code: 0, stdout: `{"id":"caller","keySha256":"${KEY_SHA256}","orgs":["org_a"]}\n`, stderr: '' });
  });

  test('the entry id defaults to "caller"', async () => {
    const { entry } = parse((await run(hashKey, ['--new'])).stdout);
    expect(entry.id).toBe('caller');
  });

  test('every run makes a new key', async () => {
    const [a, b] = await Promise.all([run(hashKey, ['--new']), run(hashKey, ['--new'])]);
    expect(parse(a.stdout).key).not.toBe(parse(b.stdout).key);
  });
});

describe('hash-key: usage errors exit 2 and never echo the key', () => {
  test.each<[string, string[], string]>([
    ['no key', [], 'the KEY (or - for stdin, or --new) is missing'],
    ['two keys', ['secret-one', 'secret-two'], 'takes one KEY'],
    ['a key with --new', ['--new', 'secret-one'], '--new takes no KEY'],
    ['an empty key', [''], 'the KEY is empty'],
    ['a bad --id', ['secret-one', '--id', 'has space'], '--id must be 1-64 characters from A-Z a-z 0-9 . _ : @ -'],
    ['a bad --orgs', ['secret-one', '--orgs', 'org a,org_b'], '--orgs must be "*" or a comma-separated list of org ids (1-128 characters from A-Z a-z 0-9 . _ : @ -)'],
    ['an empty --orgs', ['--new', '--orgs', ''], '--orgs must be "*" or a comma-separated list of org ids (1-128 characters from A-Z a-z 0-9 . _ : @ -)'],
    ['an unknown option with a value', ['--key=secret-one'], 'unknown option --key'],
    ['a key that looks like an option', ['-secret-one'], 'unknown option -s'],
  ])('%s', async (_name, argv, message) => {
    const { code, stdout, stderr } = await run(hashKey, argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`tokenvend hash-key: ${message}\n${USAGE}`);
    expect(stderr).not.toContain('secret-');
  });
});
