import { chmodSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCallers } from '../../src/auth/caller.js';
import { createCallerRegistry, sha256Hex } from '../../src/auth/caller-registry.js';
import { callers } from '../../src/cli/commands/callers.js';
import { run } from './helpers/memory-io.js';

const dirs: string[] = [];
const fresh = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokenvend-callers-cli-'));
  dirs.push(dir);
  return join(dir, 'callers.json');
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const entries = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Array<Record<string, unknown>>;

describe('tokenvend callers on a real file', () => {
  it('add → list → revoke: the key is printed once and only its hash is stored, each file 0600 and loadable by the service', async () => {
    const file = fresh();
    const added = await run(callers, ['add', 'billing-backend', '--orgs', 'org_a,org_b', '--max-ttl', '15m', '--file', file]);
    expect(added.code).toBe(0);
    const key = added.stdout.trim();
    expect(added.stdout).toBe(`${key}\n`);
    expect(key.startsWith('tv_')).toBe(true);
    expect(added.stderr).toBe(`added caller billing-backend to ${file}; its key follows, shown this once: store it in the caller's secret store now\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(entries(file)).toEqual([{ id: 'billing-backend', keySha256: sha256Hex(key), orgs: ['org_a', 'org_b'], maxTtl: '15m' }]);
    expect(readFileSync(file, 'utf8')).not.toContain(key);
    // The service's own parser and registry accept it, and the printed key authenticates.
    const registry = createCallerRegistry(parseCallers(readFileSync(file, 'utf8'), 'CALLERS_FILE'));
    expect(registry.authenticate(key)?.id).toBe('billing-backend');

    const second = await run(callers, ['add', 'web', '--file', file]);
    expect(second.code).toBe(0);
    const listed = await run(callers, ['list', '--file', file]);
    expect(listed).toEqual({ code: 0, stdout: 'ID               ORGS         TAGS\nbilling-backend  org_a,org_b  -\nweb              *            -\n', stderr: '' });
    for (const secret of [key, second.stdout.trim(), sha256Hex(key)]) expect(listed.stdout).not.toContain(secret);

    const revoked = await run(callers, ['revoke', 'billing-backend', '--file', file]);
    expect(revoked).toEqual({
      code: 0,
      stdout: `revoked caller billing-backend: running services refuse its key once they reload ${file}; tokens it already has stay valid until they expire\n`,
      stderr: '',
    });
    expect(entries(file).map((entry) => entry.id)).toEqual(['web']);
    expect(createCallerRegistry(parseCallers(readFileSync(file, 'utf8'), 'CALLERS_FILE')).authenticate(key)).toBeUndefined();
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('takes away the permissions of other users from the file it replaces (the key files\' rule), and says so on stderr', async () => {
    const file = fresh();
    expect((await run(callers, ['add', 'web', '--file', file])).code).toBe(0);
    chmodSync(file, 0o644);
    const added = await run(callers, ['add', 'billing', '--file', file]);
    expect(added.code).toBe(0);
    expect(added.stderr).toBe(
      `note: tightened the mode of ${realpathSync(file)} from 0644 to 0640: a file of secrets is never open to other users, nor writable by its group\n` +
        `added caller billing to ${file}; its key follows, shown this once: store it in the caller's secret store now\n`,
    );
    expect(statSync(file).mode & 0o7777).toBe(0o640);
  });

  it('adds scope tags the service accepts, and lists them', async () => {
    const file = fresh();
    const added = await run(callers, ['add', 'vapi-web', '--orgs', 'org_a', '--tags', 'private,public', '--file', file]);
    expect(added.code).toBe(0);
    expect(entries(file)).toEqual([{ id: 'vapi-web', keySha256: sha256Hex(added.stdout.trim()), orgs: ['org_a'], tags: ['private', 'public'] }]);
    expect(parseCallers(readFileSync(file, 'utf8'), 'CALLERS_FILE')[0]?.tags).toEqual(['private', 'public']);
    expect((await run(callers, ['list', '--file', file])).stdout).toBe('ID        ORGS   TAGS\nvapi-web  org_a  private,public\n');
  });

  it('defaults the file to CALLERS_FILE and keeps fields it does not manage', async () => {
    const file = fresh();
    writeFileSync(file, JSON.stringify([{ id: 'old', keySha256: 'a'.repeat(64), orgs: ['*'], rateLimitPerMinute: 5 }]));
    expect((await run(callers, ['add', 'new'], { env: { CALLERS_FILE: file } })).code).toBe(0);
    expect(entries(file)[0]).toEqual({ id: 'old', keySha256: 'a'.repeat(64), orgs: ['*'], rateLimitPerMinute: 5 });
  });

  it('writes through a symlinked file (a mounted secret stays a link)', async () => {
    const file = fresh();
    const target = `${file}.real`;
    writeFileSync(target, JSON.stringify([{ id: 'old', keySha256: 'b'.repeat(64), orgs: ['*'] }]));
    symlinkSync(target, file);
    expect((await run(callers, ['add', 'new', '--file', file])).code).toBe(0);
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
    expect(entries(target).map((entry) => entry.id)).toEqual(['old', 'new']);
  });

  it.each<[string, string[], number, string]>([
    ['no subcommand', [], 2, 'the subcommand is missing'],
    ['an unknown subcommand', ['rotate', 'x'], 2, 'unknown subcommand'],
    ['add without an ID', ['add'], 2, 'add needs the caller ID'],
    ['a bad ID', ['add', 'a b'], 2, 'the ID must be 1-64 characters from A-Z a-z 0-9 . _ : @ -'],
    ['bad orgs', ['add', 'x', '--orgs', 'org a'], 2, '--orgs must be "*" or org ids separated by commas'],
    ['empty orgs', ['add', 'x', '--orgs', ','], 2, '--orgs must be "*" or org ids separated by commas'],
    ['an unknown tag', ['add', 'x', '--tags', 'secret'], 2, '--tags must list private and/or public, separated by commas'],
    ['a short max-ttl', ['add', 'x', '--max-ttl', '30s'], 2, '--max-ttl must be at least 60 seconds, as seconds or "15m"-style'],
    ['a bad max-ttl', ['add', 'x', '--max-ttl', 'soon'], 2, '--max-ttl must be at least 60 seconds, as seconds or "15m"-style'],
    ['--orgs with revoke', ['revoke', 'x', '--orgs', 'a'], 2, '--orgs goes with add'],
    ['list with an ID', ['list', 'x'], 2, 'list takes no ID'],
    ['too many arguments', ['revoke', 'x', 'y'], 2, 'too many arguments'],
  ])('refuses %s', async (_name, argv, code, message) => {
    const file = fresh();
    const result = await run(callers, [...argv, '--file', file]);
    expect(result.code).toBe(code);
    expect(result.stderr.split('\n')[0]).toBe(`tokenvend callers: ${message}`);
    expect(result.stdout).toBe('');
    expect(existsSync(file)).toBe(false);
  });

  it('refuses a duplicate id, an unknown id and revoking the last caller, leaving the file as it was', async () => {
    const file = fresh();
    expect((await run(callers, ['add', 'only', '--file', file])).code).toBe(0);
    const before = readFileSync(file, 'utf8');
    expect(await run(callers, ['add', 'only', '--file', file])).toEqual({ code: 1, stdout: '', stderr: 'tokenvend callers: caller only already exists (revoke it first to give it a new key)\n' });
    expect(await run(callers, ['revoke', 'nobody', '--file', file])).toEqual({ code: 1, stdout: '', stderr: `tokenvend callers: no caller nobody in ${file} (tokenvend callers list shows them)\n` });
    expect(await run(callers, ['revoke', 'only', '--file', file])).toEqual({
      code: 1,
      stdout: '',
      stderr: `tokenvend callers: only is the last caller of ${file}; the service needs at least one (add another first)\n`,
    });
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('refuses to change a file the service would refuse, naming the entry and never a hash', async () => {
    const file = fresh();
    const hash = 'c'.repeat(64);
    writeFileSync(file, JSON.stringify([{ id: 'dup', keySha256: hash, orgs: ['*'] }, { id: 'dup', keySha256: 'd'.repeat(64), orgs: ['*'] }]));
    const before = readFileSync(file, 'utf8');
    const result = await run(callers, ['add', 'new', '--file', file]);
    expect(result).toEqual({ code: 1, stdout: '', stderr: `tokenvend callers: ${file}: entry 1 ("dup"): id is used by another entry\n` });
    expect(result.stderr).not.toContain(hash);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('holds FILE.lock while changing: a second run is refused, naming the lock', async () => {
    const file = fresh();
    expect((await run(callers, ['add', 'first', '--file', file])).code).toBe(0);
    writeFileSync(`${file}.lock`, '4242\n');
    const result = await run(callers, ['add', 'second', '--file', file]);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `tokenvend callers: ${file} is being changed by another tokenvend callers run (${file}.lock exists; if no other run is going on, delete it)\n`,
    });
    rmSync(`${file}.lock`);
    const concurrent = await Promise.all(Array.from({ length: 5 }, (_, i) => run(callers, ['add', `next-${i}`, '--file', file])));
    const landed = concurrent.flatMap((r, i) => (r.code === 0 ? [`next-${i}`] : []));
    expect(landed.length).toBeGreaterThan(0);
    expect(entries(file).map((entry) => entry.id)).toEqual(['first', ...landed]);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });
});
