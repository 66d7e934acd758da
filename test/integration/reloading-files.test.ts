/** ORG_KEYS_FILE and CALLERS_FILE reload as the key set does: validated whole, swapped at once, kept when broken, counted, logged. */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsonwebtoken from 'jsonwebtoken';
import request from 'supertest';
import { createCallersReloader } from '../../src/auth/callers-reloader.js';
import type { ReloadingFile } from '../../src/config/reloading-file.js';
import { createOrgKeysReloader } from '../../src/keys/org-keys-reloader.js';
import { createLogger } from '../../src/logging/create-logger.js';
import { buildApp, type TestApp } from '../support/build-app.js';
import { callersJson, testCaller, type TestCaller } from '../support/callers.js';
import { p256Key } from '../support/keys.js';
import { until } from '../support/wait.js';

const alice = testCaller('alice', { tags: ['private'] });
const bob = testCaller('bob');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tokenvend-reload-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Replaces the file in one rename, as `tokenvend` and Kubernetes do. */
function replaceFile(file: string, content: string): void {
  const temporary = `${file}.${randomUUID()}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, file);
}

const metricValue = async (t: TestApp, name: string): Promise<number> =>
  Number(/ (\d+)$/m.exec(await t.metrics.registry.getSingleMetricAsString(name))?.[1] ?? 'NaN');

const mint = (t: TestApp, caller: TestCaller, body: unknown = {}) => request(t.app).post('/tokens').set('Authorization', `Bearer ${caller.key}`).send(body as object);

describe('ORG_KEYS_FILE reloads', () => {
  const ORG = randomUUID();
  const FIRST = randomUUID();
  const SECOND = randomUUID();
  let file: string;
  let t: TestApp;
  let reloader: ReloadingFile;

  beforeAll(async () => {
    file = join(dir, 'org-keys.json');
    const content = JSON.stringify({ [ORG]: FIRST });
    writeFileSync(file, content);
    t = await buildApp({ NODE_ENV: 'production', PRIVATE_KEY: p256Key().pkcs8, ORG_KEYS_FILE: file, CALLERS: callersJson(alice, bob) });
    const logger = createLogger('info', { write: (line: string) => void t.rawLogs.push(line) });
    reloader = createOrgKeysReloader({ path: file, initialContent: content, keyRing: t.keyRing, logger, metrics: t.metrics, debounceMs: 20 });
    reloader.watch();
  });
  afterAll(async () => {
    reloader.close();
    await t.close();
  });

  const signedWith = async (secret: string): Promise<boolean> => {
    const { body } = await mint(t, alice, { orgId: ORG }).expect(201);
    try {
      jsonwebtoken.verify(body.token, secret, { algorithms: ['HS256'] });
      return true;
    } catch {
      return false;
    }
  };

  it("swaps in an org's new key when the file changes", async () => {
    expect(await signedWith(FIRST)).toBe(true);
    replaceFile(file, JSON.stringify({ [ORG]: SECOND }));
    await until(() => signedWith(SECOND));
    expect(t.logs.some((line) => line.event === 'org_keys.reloaded' && line.orgs === 1)).toBe(true);
  });

  it('refuses a broken file whole, keeps the keys in hand, counts it and names the org, never the material', async () => {
    const before = await metricValue(t, 'tokenvend_key_reload_failures_total');
    const short = 'too-short-for-hs256';
    replaceFile(file, JSON.stringify({ [ORG]: randomUUID(), org_b: short }));
    await until(async () => (await metricValue(t, 'tokenvend_key_reload_failures_total')) === before + 1);
    expect(await signedWith(SECOND)).toBe(true);
    const failure = t.logs.filter((line) => line.event === 'org_keys.reload_failed').at(-1);
    expect(failure).toMatchObject({ trigger: 'file-change', reason: 'org "org_b": is an HMAC secret of 19 bytes; HS256 needs at least 32' });
    expect(t.rawLogs.join('\n')).not.toContain(short);
    expect(t.rawLogs.join('\n')).not.toContain(SECOND);
  });

  it('says so when a later reload recovers', async () => {
    const third = randomUUID();
    writeFileSync(file, JSON.stringify({ [ORG]: third }));
    expect(await reloader.reload('SIGHUP')).toBe(true);
    expect(t.logs.filter((line) => line.event === 'org_keys.reload_recovered').at(-1)).toMatchObject({ trigger: 'SIGHUP', orgs: 1 });
    expect(await signedWith(third)).toBe(true);
  });
});

describe('CALLERS_FILE reloads', () => {
  let file: string;
  let t: TestApp;
  let reloader: ReloadingFile;

  beforeAll(async () => {
    file = join(dir, 'callers.json');
    const content = callersJson(alice, bob);
    writeFileSync(file, content);
    t = await buildApp({ NODE_ENV: 'production', PRIVATE_KEY: p256Key().pkcs8, ORG_ID: 'org_a', CALLERS_FILE: file });
    const logger = createLogger('info', { write: (line: string) => void t.rawLogs.push(line) });
    reloader = createCallersReloader({ path: file, initialContent: content, registry: t.callers, audiences: [], logger, metrics: t.metrics, debounceMs: 20 });
    reloader.watch();
  });
  afterAll(async () => {
    reloader.close();
    await t.close();
  });

  it("refuses a revoked caller's next request, without a restart", async () => {
    await mint(t, bob).expect(201);
    replaceFile(file, callersJson(alice));
    await until(async () => (await mint(t, bob)).status === 401);
    await mint(t, alice).expect(201);
  });

  it('admits a caller added to the file', async () => {
    const carol = testCaller('carol');
    replaceFile(file, callersJson(alice, carol));
    await until(async () => (await mint(t, carol)).status === 201);
  });

  it('keeps the callers in hand when the file is broken, counts it, and names the entry, never a hash or key', async () => {
    const before = await metricValue(t, 'tokenvend_callers_reload_failures_total');
    const duplicate = testCaller('alice');
    replaceFile(file, callersJson(alice, duplicate));
    await until(async () => (await metricValue(t, 'tokenvend_callers_reload_failures_total')) === before + 1);
    expect(t.logs.filter((line) => line.event === 'callers.reload_failed').at(-1)).toMatchObject({ reason: 'entry 1 ("alice"): id is used by another entry' });
    await mint(t, alice).expect(201);
    await mint(t, duplicate).expect(401);
    const text = t.rawLogs.join('\n');
    for (const secret of [alice.key, duplicate.key, String(duplicate.entry.keySha256)]) expect(text).not.toContain(secret);
  });
});
