import { createHash } from 'node:crypto';
import { hashKey } from '../../src/cli/commands/hash-key.js';
import { createCallerRegistry } from '../../src/auth/caller-registry.js';
import { parseCallers } from '../../src/auth/caller.js';
import { run } from './helpers/memory-io.js';

const ABC_SHA256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const USAGE = 'Usage: tokenvend hash-key (KEY | - | --new) [--id ID]\nRun "tokenvend hash-key --help" for details.\n';

describe('hash-key KEY', () => {
  test('prints the lowercase hex SHA-256 (FIPS 180-2 vector "abc")', async () => {
    await expect(run(hashKey, ['abc'])).resolves.toEqual({ code: 0, stdout: `${ABC_SHA256}\n`, stderr: '' });
  });

  test('the hash authenticates the key in the caller registry', async () => {
    const key = 'tv_Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5';
    const { stdout } = await run(hashKey, [key]);
    const registry = createCallerRegistry(parseCallers(JSON.stringify([{ id: 'web', keySha256: stdout.trim(), orgs: ['*'] }]), 'CALLERS'));
    expect(registry.authenticate(key)?.id).toBe('web');
  });

  test('--id prints a CALLERS entry instead of the bare hash', async () => {
    const { code, stdout } = await run(hashKey, ['abc', '--id', 'billing-backend']);
    expect(code).toBe(0);
    expect(stdout).toBe(`{"id":"billing-backend","keySha256":"${ABC_SHA256}","orgs":["*"]}\n`);
  });

  test('a key starting with "-" can follow --', async () => {
    await expect(run(hashKey, ['--', '-abc'])).resolves.toMatchObject({ code: 0, stdout: `${sha256('-abc')}\n` });
  });

  test('warns about a key that no Bearer header can carry, and still hashes it', async () => {
    const { code, stdout, stderr } = await run(hashKey, ['has space']);
    expect(code).toBe(0);
    expect(stdout).toBe(`${sha256('has space')}\n`);
    expect(stderr).toBe('warning: the key has characters an "Authorization: Bearer" header cannot carry (RFC 6750 §2.1); no caller could present it\n');
    expect(stderr).not.toContain('has space');
  });
});

describe('hash-key - (stdin)', () => {
  test('reads the key from stdin and drops one trailing newline', async () => {
    await expect(run(hashKey, ['-'], { stdin: 'abc\n' })).resolves.toEqual({ code: 0, stdout: `${ABC_SHA256}\n`, stderr: '' });
    await expect(run(hashKey, ['-'], { stdin: 'abc\r\n' })).resolves.toMatchObject({ stdout: `${ABC_SHA256}\n` });
    await expect(run(hashKey, ['-'], { stdin: 'abc' })).resolves.toMatchObject({ stdout: `${ABC_SHA256}\n` });
  });

  test('joins chunks', async () => {
    await expect(run(hashKey, ['-'], { stdin: ['a', 'b', 'c\n'] })).resolves.toMatchObject({ code: 0, stdout: `${ABC_SHA256}\n` });
  });

  test('only one newline is dropped: the rest is part of the key', async () => {
    await expect(run(hashKey, ['-'], { stdin: 'abc\n\n' })).resolves.toMatchObject({ stdout: `${sha256('abc\n')}\n` });
  });

  test('prompts on stderr when stdin is a terminal', async () => {
    const { stdout, stderr } = await run(hashKey, ['-'], { stdin: 'abc\n', isTTY: true });
    expect(stdout).toBe(`${ABC_SHA256}\n`);
    expect(stderr).toBe('Type or paste the caller key, then press Enter and Ctrl-D:\n');
  });

  test('empty stdin fails', async () => {
    await expect(run(hashKey, ['-'], { stdin: '\n' })).resolves.toEqual({ code: 1, stdout: '', stderr: 'tokenvend hash-key: stdin held no key\n' });
  });
});

describe('hash-key --new', () => {
  const parse = (stdout: string) => {
    const match = /^key: {11}(tv_[A-Za-z0-9_-]{43})\nkeySha256: {5}([0-9a-f]{64})\ncallers entry: (\{.*\})\n$/.exec(stdout);
    expect(match).not.toBeNull();
    const [, key, keySha256, entry] = match as unknown as [string, string, string, string];
    return { key, keySha256, entry: JSON.parse(entry) as Record<string, unknown> };
  };

  test('prints a 256-bit tv_ key, its hash and a CALLERS entry the service accepts', async () => {
    const { code, stdout, stderr } = await run(hashKey, ['--new', '--id', 'billing-backend']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const { key, keySha256, entry } = parse(stdout);
    expect(Buffer.from(key.slice(3), 'base64url')).toHaveLength(32);
    expect(keySha256).toBe(sha256(key));
    expect(entry).toEqual({ id: 'billing-backend', keySha256, orgs: ['*'] });
    const registry = createCallerRegistry(parseCallers(JSON.stringify([entry]), 'CALLERS'));
    expect(registry.authenticate(key)?.id).toBe('billing-backend');
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
