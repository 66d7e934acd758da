/** The operator's path: `tokenvend callers add` and `revoke` against the CALLERS_FILE of a running service, no restart. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callers } from '../../src/cli/commands/callers.js';
import { run } from '../cli/helpers/memory-io.js';
import { p256Key } from '../support/keys.js';
import { startService, type RunningService } from '../support/spawn-service.js';
import { until } from '../support/wait.js';

const mint = (service: RunningService, key: string) =>
  fetch(`${service.baseUrl}/tokens`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{"orgId":"org_a"}' });

describe('tokenvend callers on a running service', () => {
  let dir: string;
  let service: RunningService | undefined;
  afterEach(async () => {
    await service?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a caller added is served, and once revoked is refused, without a restart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tokenvend-callers-e2e-'));
    const file = join(dir, 'callers.json');
    const first = await run(callers, ['add', 'keeper', '--orgs', 'org_a', '--file', file]);
    expect(first.code).toBe(0);
    service = await startService({ NODE_ENV: 'production', HOST: '127.0.0.1', PRIVATE_KEY: p256Key().pkcs8, CALLERS_FILE: file });
    const running = service;

    const added = await run(callers, ['add', 'billing', '--orgs', 'org_a', '--file', file]);
    const key = added.stdout.trim();
    await until(async () => (await mint(running, key)).status === 201, 10_000, 'the added caller served');

    expect((await run(callers, ['revoke', 'billing', '--file', file])).code).toBe(0);
    await until(async () => (await mint(running, key)).status === 401, 10_000, 'the revoked caller refused');
    expect((await mint(running, first.stdout.trim())).status).toBe(201);
    expect(running.stdout()).not.toContain(key);
  }, 60_000);
});
