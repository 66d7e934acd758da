/**
 * The real process reads its key set and callers from Secret volumes laid out as the kubelet lays them
 * out (deploy/kubernetes mounts them as directories): files are symlinks through `..data`, and an
 * update writes a new timestamped directory and renames a `..data_tmp` symlink over `..data`. The
 * running process must pick both files up, and keep serving with the old ones when a swap is broken.
 */
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { callersJson, testCaller } from '../support/callers.js';
import { keySetJson, privateSetKey } from '../support/key-sets.js';
import { startService, type RunningService } from '../support/spawn-service.js';
import { tempDir } from '../support/temp-dir.js';
import { until } from '../support/wait.js';

/** A directory as the kubelet keeps a Secret volume: `<file> -> ..data/<file>`, `..data -> ..<version>`. */
function secretVolume(file: string, content: string): { dir: string; update(next: string): void } {
  const dir = tempDir('tokenvend-secret-volume-');
  let version = 0;
  const writeVersion = (text: string): string => {
    version += 1;
    const name = `..2026_11_30_00_00_0${version}.${version}`;
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, file), text, { mode: 0o440 });
    return name;
  };
  symlinkSync(writeVersion(content), join(dir, '..data'));
  symlinkSync(join('..data', file), join(dir, file));
  return {
    dir,
    update(next) {
      const name = writeVersion(next);
      symlinkSync(name, join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    },
  };
}

const web = testCaller('web-backend', { orgs: ['org_a'] });
const billing = testCaller('billing', { orgs: ['org_a'] });

describe('Secrets mounted as directories (deploy/kubernetes), updated by the kubelet', () => {
  let service: RunningService | undefined;
  let keys: ReturnType<typeof secretVolume>;
  let callers: ReturnType<typeof secretVolume>;

  const mint = (key: string) =>
    fetch(`${service?.baseUrl}/tokens`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ orgId: 'org_a' }) });
  const kids = async (): Promise<string[]> =>
    ((await (await fetch(`${service?.baseUrl}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid);
  const counter = async (name: string): Promise<number> =>
    Number(new RegExp(`^${name} (\\d+)`, 'm').exec(await (await fetch(`${service?.baseUrl}/metrics`)).text())?.[1] ?? 'NaN');

  beforeAll(async () => {
    keys = secretVolume('keys.json', keySetJson(privateSetKey('ES256', 'k1')));
    callers = secretVolume('callers.json', callersJson(web, billing));
    service = await startService({
      NODE_ENV: 'production',
      METRICS_ON_MAIN_PORT: 'true',
      HOST: '127.0.0.1',
      SIGNING_KEYS_FILE: join(keys.dir, 'keys.json'),
      CALLERS_FILE: join(callers.dir, 'callers.json'),
    });
  });

  afterAll(async () => {
    if (service) expect(await service.stop()).toBe(0);
  });

  it('serves with the files as first mounted', async () => {
    expect((await mint(web.key)).status).toBe(201);
    expect((await mint(billing.key)).status).toBe(201);
    expect(await kids()).toEqual(['k1']);
  });

  it('publishes the next key after the key Secret is swapped', async () => {
    keys.update(keySetJson(privateSetKey('ES256', 'k1'), privateSetKey('ES256', 'k2')));
    await until(async () => (await kids()).includes('k2'), 10_000, 'k2 published after the swap');
    expect(await kids()).toEqual(['k1', 'k2']);
  });

  it('refuses a caller removed from the callers Secret on its next request', async () => {
    callers.update(callersJson(web));
    await until(async () => (await mint(billing.key)).status === 401, 10_000, 'billing refused after the swap');
    expect((await mint(web.key)).status).toBe(201);
  });

  it('keeps the callers it has and counts the failure when a swap brings a broken file', async () => {
    const before = await counter('tokenvend_callers_reload_failures_total');
    callers.update('[{"id": "web-backend"');
    await until(async () => (await counter('tokenvend_callers_reload_failures_total')) > before, 10_000, 'the failure counted');
    expect((await mint(web.key)).status).toBe(201);
    expect(service?.stdout() ?? '').not.toContain(web.key);
  });
});
