/** tokenvend org-keys on real files: set, remove, list; material never on argv or in the output; the file always valid. */
import { randomUUID } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { orgKeys } from '../../src/cli/commands/org-keys.js';
import { parseOrgKeys } from '../../src/keys/org-keys.js';
import { ed25519Key, p256Key, privateJwk } from '../support/keys.js';
import { run } from './helpers/memory-io.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tokenvend-org-keys-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fresh = () => join(dir, `${randomUUID()}.json`);

describe('tokenvend org-keys', () => {
  it('set (stdin and --from-env) → list → remove: each a valid 0600 file, no material printed', async () => {
    const file = fresh();
    const staging = randomUUID();
    const production = randomUUID();
    const jwk = privateJwk(ed25519Key(), { kid: 'agency-client-1' });

    const set1 = await run(orgKeys, ['set', 'org_staging', '--file', file], { stdin: `${staging}\n` });
    expect(set1).toEqual({ code: 0, stdout: 'set the key of org org_staging\n', stderr: '' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const set2 = await run(orgKeys, ['set', 'org_production', '--from-env', 'PROD_KEY'], { env: { ORG_KEYS_FILE: file, PROD_KEY: production } });
    expect(set2.code).toBe(0);
    expect((await run(orgKeys, ['set', 'org_client', '--file', file], { stdin: jwk })).code).toBe(0);

    const document = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(document).toEqual({ org_staging: staging, org_production: production, org_client: JSON.parse(jwk) });
    const keys = await parseOrgKeys(readFileSync(file, 'utf8'));
    expect([...keys.keys()]).toEqual(['org_staging', 'org_production', 'org_client']);

    const list = await run(orgKeys, ['list', '--file', file]);
    expect(list).toEqual({
      code: 0,
      stdout: 'ORG_ID          ALG    KID\norg_staging     HS256  (HMAC: not published)\norg_production  HS256  (HMAC: not published)\norg_client      EdDSA  agency-client-1\n',
      stderr: '',
    });
    const replaced = await run(orgKeys, ['set', 'org_staging', '--file', file], { stdin: randomUUID() });
    expect(replaced.stdout).toBe('replaced the key of org org_staging\n');
    expect((await run(orgKeys, ['remove', 'org_production', '--file', file])).stdout).toMatch(/^removed the key of org org_production/);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')))).toEqual(['org_staging', 'org_client']);

    const d = (JSON.parse(jwk) as { d: string }).d;
    for (const output of [set1, set2, list, replaced]) for (const secret of [staging, production, d]) expect(output.stdout + output.stderr).not.toContain(secret);
  });

  it('refuses a key the service would refuse, and leaves the file as it was', async () => {
    const file = fresh();
    const good = randomUUID();
    await run(orgKeys, ['set', 'org_a', '--file', file], { stdin: good });
    const before = readFileSync(file, 'utf8');
    const short = 'only-twenty-bytes-ab';
    const result = await run(orgKeys, ['set', 'org_b', '--file', file], { stdin: short });
    expect(result).toEqual({ code: 1, stdout: '', stderr: `tokenvend org-keys: ${file}: org "org_b": is an HMAC secret of 20 bytes; HS256 needs at least 32\n` });
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('refuses two private keys for one org (the first would sign, the second be ignored), and leaves the file as it was', async () => {
    const file = fresh();
    await run(orgKeys, ['set', 'org_a', '--file', file], { stdin: randomUUID() });
    const before = readFileSync(file, 'utf8');
    const result = await run(orgKeys, ['set', 'org_b', '--file', file], { stdin: `${p256Key().pkcs8}${ed25519Key().pkcs8}` });
    expect(result).toEqual({ code: 1, stdout: '', stderr: `tokenvend org-keys: ${file}: org "org_b": holds 2 private keys; give exactly one (an org signs with one key)\n` });
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it.each([
    ['no subcommand', [], /the subcommand is missing/],
    ['an unknown subcommand', ['rotate'], /unknown subcommand/],
    ['set without an org', ['set'], /set needs the ORG_ID/],
    ['an org id outside the rules', ['set', 'org a'], /ORG_ID must be 1-128 characters/],
    ['list with an org', ['list', 'org_a'], /list takes no ORG_ID/],
    ['--from-env on remove', ['remove', 'org_a', '--from-env', 'X'], /--from-env applies to set only/],
    ['a missing --from-env variable', ['set', 'org_a', '--from-env', 'NOT_SET'], /the variable NOT_SET is not set/],
  ])('%s is a usage error (exit 2)', async (_name, argv, message) => {
    const result = await run(orgKeys, [...argv, '--file', fresh()]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('never reads material from a terminal, so it cannot end up typed on a command line', async () => {
    const result = await run(orgKeys, ['set', 'org_a', '--file', fresh()], { isTTY: true });
    expect(result).toMatchObject({ code: 2, stderr: expect.stringMatching(/pipe the key into stdin/) });
  });

  it('takes away the permissions of other users from a file it replaces, and says so on stderr', async () => {
    const file = fresh();
    writeFileSync(file, '{}');
    chmodSync(file, 0o644); // as a shell redirect or an editor under umask 022 leaves it
    const result = await run(orgKeys, ['set', 'org_a', '--file', file], { stdin: randomUUID() });
    expect(result).toEqual({
      code: 0,
      stdout: 'set the key of org org_a\n',
      stderr: `note: tightened the mode of ${realpathSync(file)} from 0644 to 0640: a file of secrets is never open to other users, nor writable by its group\n`,
    });
    expect(statSync(file).mode & 0o7777).toBe(0o640);
    expect([...(await parseOrgKeys(readFileSync(file, 'utf8'))).keys()]).toEqual(['org_a']);
  });

  it("keeps the group's read (a Secret mounted 0440 for the service's fsGroup) without a note", async () => {
    const file = fresh();
    writeFileSync(file, '{}');
    chmodSync(file, 0o440);
    expect(await run(orgKeys, ['set', 'org_a', '--file', file], { stdin: randomUUID() })).toEqual({ code: 0, stdout: 'set the key of org org_a\n', stderr: '' });
    expect(statSync(file).mode & 0o7777).toBe(0o440);
  });

  const asRoot = process.getuid?.() === 0 ? it : it.skip;
  asRoot('keeps the owner of the file it tightens (run as root for a file the service user owns)', async () => {
    const file = fresh();
    writeFileSync(file, '{}');
    chownSync(file, 1000, 1000);
    chmodSync(file, 0o604);
    const result = await run(orgKeys, ['set', 'org_a', '--file', file], { stdin: randomUUID() });
    expect(result.stderr).toBe(`note: tightened the mode of ${realpathSync(file)} from 0604 to 0600: a file of secrets is never open to other users, nor writable by its group\n`);
    const stats = statSync(file);
    expect([stats.uid, stats.gid, stats.mode & 0o7777]).toEqual([1000, 1000, 0o600]);
  });

  it('remove of an org without a key, and a file that is not an object, fail naming the file', async () => {
    const file = fresh();
    writeFileSync(file, '[]');
    expect(await run(orgKeys, ['set', 'org_a', '--file', file], { stdin: randomUUID() })).toMatchObject({ code: 1, stderr: `tokenvend org-keys: ${file} must hold a JSON object\n` });
    writeFileSync(file, '{}');
    expect(await run(orgKeys, ['remove', 'org_a', '--file', file])).toMatchObject({ code: 1, stderr: `tokenvend org-keys: org org_a has no key in ${file}\n` });
  });
});
