import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keys } from '../../src/cli/commands/keys.js';
import { parseKeySet } from '../../src/keys/key-set.js';
import { tempDir } from '../support/temp-dir.js';
import { run } from './helpers/memory-io.js';

const fresh = () => join(tempDir('tokenvend-keys-cli-'), 'keys.json');
const kidsIn = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { keys: Array<{ kid: string; alg: string }> }).keys.map((key) => `${key.kid}:${key.alg}`);
const privateMembers = (file: string) =>
  (JSON.parse(readFileSync(file, 'utf8')) as { keys: Array<Record<string, string>> }).keys.flatMap((key) => ['d', 'p', 'q', 'dp', 'dq', 'qi'].map((m) => key[m]).filter(Boolean));

describe('tokenvend keys on a file the service reads through a link, or as another user', () => {
  it('writes through a symbolic link to its target: the link stays, the target gets the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokenvend-keys-link-'));
    mkdirSync(join(dir, 'secrets'));
    const target = join(dir, 'secrets', 'keys.json');
    const link = join(dir, 'keys.json');
    expect((await run(keys, ['init', '--kid', 'one', '--file', target])).code).toBe(0);
    symlinkSync(join('secrets', 'keys.json'), link);
    expect(await run(keys, ['add', '--kid', 'two', '--file', link])).toMatchObject({ code: 0, stderr: '' });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(join('secrets', 'keys.json'));
    expect(kidsIn(target)).toEqual(['one:ES256', 'two:ES256']);
  });

  it('a link to nothing is refused with a message, not replaced by a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokenvend-keys-link-'));
    const link = join(dir, 'keys.json');
    symlinkSync(join(dir, 'missing.json'), link);
    const { code, stderr } = await run(keys, ['add', '--kid', 'two', '--file', link]);
    expect(code).toBe(1);
    expect(stderr).toContain('keys.json');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  const asRoot = process.getuid?.() === 0 ? it : it.skip;
  asRoot('keeps the owner and mode of the file it replaces (run as root for a file the service user owns, 0400)', async () => {
    const file = fresh();
    expect((await run(keys, ['init', '--kid', 'one', '--file', file])).code).toBe(0);
    chownSync(file, 1000, 1000);
    chmodSync(file, 0o400);
    expect(await run(keys, ['add', '--kid', 'two', '--file', file])).toMatchObject({ code: 0, stderr: '' });
    const stats = statSync(file);
    expect([stats.uid, stats.gid, stats.mode & 0o7777]).toEqual([1000, 1000, 0o400]);
    expect(kidsIn(file)).toEqual(['one:ES256', 'two:ES256']);
  });
});

describe('tokenvend keys: the rotation runbook on a real file', () => {
  it('init → add → promote → retire, each a valid 0600 file the service loads, nothing private printed', async () => {
    const file = fresh();
    const outputs: string[] = [];
    const step = async (...argv: string[]) => {
      const result = await run(keys, [...argv, '--file', file]);
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      outputs.push(result.stdout);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      await parseKeySet(readFileSync(file, 'utf8'));
      return result.stdout;
    };

    expect(await step('init', '--alg', 'ES256', '--kid', 'key-2026-01')).toBe(`created ${file}: ES256 key key-2026-01 signs\n`);
    expect(await step('add', '--alg', 'EdDSA', '--kid', 'key-2026-02')).toBe('added EdDSA key key-2026-02: published, not signing. Promote it once verifiers have fetched the new JWKS.\n');
    expect(kidsIn(file)).toEqual(['key-2026-01:ES256', 'key-2026-02:EdDSA']);
    expect(await step('promote', 'key-2026-02')).toBe('EdDSA key key-2026-02 signs now; 1 other key(s) stay published\n');
    expect(kidsIn(file)).toEqual(['key-2026-02:EdDSA', 'key-2026-01:ES256']);
    expect(await step('list')).toBe('KID          ALG    ROLE\nkey-2026-02  EdDSA  signing\nkey-2026-01  ES256  published\n');
    expect(await step('retire', 'key-2026-01')).toBe('retired key-2026-01: no longer published; tokens it signed no longer verify\n');
    expect(kidsIn(file)).toEqual(['key-2026-02:EdDSA']);

    const secrets = privateMembers(file);
    expect(secrets.length).toBeGreaterThan(0);
    for (const secret of secrets) for (const output of outputs) expect(output).not.toContain(secret);
  });

  it('takes the KID with --kid too, for thumbprints that start with "-"', async () => {
    const file = fresh();
    await run(keys, ['init', '--kid', 'old', '--file', file]);
    await run(keys, ['add', '--kid=-dash-kid', '--file', file]);
    expect((await run(keys, ['promote', '--kid=-dash-kid', '--file', file])).code).toBe(0);
    expect((await run(keys, ['retire', '--file', file, '--', 'old'])).code).toBe(0);
    expect(kidsIn(file)).toEqual(['-dash-kid:ES256']);
  });

  it('defaults the file to SIGNING_KEYS_FILE and the kid to the thumbprint', async () => {
    const file = fresh();
    expect((await run(keys, ['init'], { env: { SIGNING_KEYS_FILE: file } })).code).toBe(0);
    const [entry] = kidsIn(file);
    expect(entry).toMatch(/^[\w-]{43}:ES256$/);
  });

  it.each<[string, string[], number, RegExp]>([
    ['no subcommand', [], 2, /the subcommand is missing/],
    ['an unknown subcommand', ['rotate'], 2, /unknown subcommand/],
    ['promote without KID', ['promote'], 2, /promote needs the KID/],
    ['list with a KID', ['list', 'x'], 2, /list takes no KID/],
    ['--alg with promote', ['promote', 'x', '--alg', 'ES256'], 2, /--alg goes with init and add/],
    ['--kid with list', ['list', '--kid', 'x'], 2, /--kid goes with init, add, promote and retire/],
    ['a KID given twice', ['promote', 'x', '--kid', 'y'], 2, /give the KID once/],
    ['an unknown --alg', ['add', '--alg', 'HS256'], 2, /--alg must be one of/],
    ['retiring the signing key', ['retire', 'first'], 1, /first is the signing key; promote another key before retiring it/],
    ['an unknown kid', ['promote', 'nope'], 1, /no key with that kid in the set/],
    ['a second init', ['init'], 1, /exists; init makes a new set/],
    ['a duplicate kid', ['add', '--kid', 'first'], 1, /a key with kid first is already in the set/],
  ])('refuses %s', async (_name, argv, code, message) => {
    const file = fresh();
    expect((await run(keys, ['init', '--kid', 'first', '--file', file])).code).toBe(0);
    const before = readFileSync(file, 'utf8');
    const result = await run(keys, [...argv, '--file', file]);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('names a file that is missing or invalid without quoting it', async () => {
    const missing = await run(keys, ['list', '--file', '/nonexistent/keys.json']);
    expect(missing).toMatchObject({ code: 1, stderr: 'tokenvend keys: cannot read /nonexistent/keys.json (ENOENT)\n' });
    const file = fresh();
    writeFileSync(file, '{"keys":[{"kty":"EC","kid":"a","crv":"P-256","x":"AAAA","y":"BBBB","d":"SECRETSECRET"}]}');
    const invalid = await run(keys, ['list', '--file', file]);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toBe(`tokenvend keys: ${file} keys[0] ("a"): is a EC JWK that cannot be read\n`);
    expect(invalid.stderr).not.toContain('SECRETSECRET');
  });
});

describe('tokenvend keys: one change at a time', () => {
  it('refuses to change a set whose lock is held, names the lock, and leaves both files alone', async () => {
    const file = fresh();
    expect((await run(keys, ['init', '--kid', 'first', '--file', file])).code).toBe(0);
    const before = readFileSync(file, 'utf8');
    writeFileSync(`${file}.lock`, '4242\n');
    for (const argv of [['add'], ['promote', 'first'], ['retire', 'first']]) {
      const result = await run(keys, [...argv, '--file', file]);
      expect(result).toEqual({
        code: 1,
        stdout: '',
        stderr: `tokenvend keys: ${file} is being changed by another tokenvend keys run (${file}.lock exists; if no other run is going on, delete it)\n`,
      });
    }
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(readFileSync(`${file}.lock`, 'utf8')).toBe('4242\n');
    // Reading needs no lock.
    expect((await run(keys, ['list', '--file', file])).code).toBe(0);
  });

  it('never loses a key when several adds run at once: each one either lands or is refused', async () => {
    const file = fresh();
    expect((await run(keys, ['init', '--kid', 'first', '--file', file])).code).toBe(0);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => run(keys, ['add', '--kid', `next-${i}`, '--file', file])));
    const landed = results.flatMap((result, i) => (result.code === 0 ? [`next-${i}:ES256`] : []));
    for (const result of results.filter((r) => r.code !== 0)) expect(result.stderr).toMatch(/is being changed by another tokenvend keys run/);
    expect(landed.length).toBeGreaterThan(0);
    expect(kidsIn(file)).toEqual(['first:ES256', ...landed]);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('releases the lock when a change fails', async () => {
    const file = fresh();
    expect((await run(keys, ['init', '--kid', 'first', '--file', file])).code).toBe(0);
    expect((await run(keys, ['promote', 'nope', '--file', file])).code).toBe(1);
    expect(existsSync(`${file}.lock`)).toBe(false);
    expect((await run(keys, ['add', '--kid', 'second', '--file', file])).code).toBe(0);
    expect(kidsIn(file)).toEqual(['first:ES256', 'second:ES256']);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('releases the lock when a run is stopped by %s, and still dies of it', async (signal) => {
    const file = fresh();
    // The built module in a process of its own, holding the lock over a change that never ends.
    const lockModule = new URL('../../dist/keys/key-set-lock.js', import.meta.url).href;
    const script = `import { withKeySetLock } from ${JSON.stringify(lockModule)};
      await withKeySetLock(${JSON.stringify(file)}, () => new Promise(() => { setInterval(() => {}, 1000); process.stdout.write('locked\\n'); }));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await once(child.stdout, 'data');
      expect(readFileSync(`${file}.lock`, 'utf8')).toBe(`${child.pid}\n`);
      const exited = once(child, 'exit');
      child.kill(signal);
      expect(await exited).toEqual([null, signal]);
      expect(existsSync(`${file}.lock`)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('names the file when its folder cannot hold a lock', async () => {
    const result = await run(keys, ['add', '--file', '/nonexistent/keys.json']);
    expect(result).toMatchObject({ code: 1, stderr: 'tokenvend keys: cannot lock /nonexistent/keys.json (ENOENT)\n' });
  });
});
