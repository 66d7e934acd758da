/** The real service's GET /metrics passes `promtool check metrics` (Prometheus' own exposition lint), default metrics included. */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { callersJson, testCaller } from '../support/callers.js';
import { p256Key } from '../support/keys.js';
import { startService, type RunningService } from '../support/spawn-service.js';

const caller = testCaller('web-backend', { orgs: ['org_a'] });

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Runs `promtool check metrics` with the exposition on stdin; resolves with its exit code and output. */
function promtoolCheck(exposition: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile('promtool', ['check', 'metrics'], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
    child.stdin?.end(exposition);
  });
}

const describeWithPromtool = onPath('promtool') ? describe : describe.skip;
if (!onPath('promtool')) console.warn('skipped: promtool is not installed (Debian package: prometheus)');

describeWithPromtool('GET /metrics passes promtool check metrics (needs promtool, Debian package prometheus)', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ NODE_ENV: 'production', METRICS_ON_MAIN_PORT: 'true', HOST: '127.0.0.1', PRIVATE_KEY: p256Key().pkcs8, CALLERS: callersJson(caller) });
    // A token, a refusal and a 404, so that every labelled family has children in the exposition.
    const post = (key: string, orgId: string) => fetch(`${service.baseUrl}/tokens`, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ orgId }) });
    expect((await post(caller.key, 'org_a')).status).toBe(201);
    expect((await post(caller.key, 'org_b')).status).toBe(403);
    expect((await fetch(`${service.baseUrl}/nothing-here`)).status).toBe(404);
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('exits 0 with no complaint, the Node.js default metrics included', async () => {
    const exposition = await (await fetch(`${service.baseUrl}/metrics`)).text();
    expect(exposition).toContain('nodejs_active_handles{');
    expect(exposition).toContain('tokenvend_tokens_issued_total{');
    await expect(promtoolCheck(exposition)).resolves.toEqual({ code: 0, output: '' });
  });
});
