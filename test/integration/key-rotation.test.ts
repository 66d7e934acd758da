import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { createKeySetReloader, type KeySetReloader } from '../../src/keys/key-set-reloader.js';
import { sleep, until } from '../support/wait.js';
import { buildApp, type TestApp } from '../support/build-app.js';
import { callersJson, testCaller } from '../support/callers.js';
import { keySetJson, privateSetKey } from '../support/key-sets.js';
import { serveOnLoopback, type ServedApp } from '../support/serve-app.js';
import { tempDir } from '../support/temp-dir.js';

const caller = testCaller('web');

interface Rig {
  readonly t: TestApp;
  readonly reloader: KeySetReloader;
  readonly base: string;
  readonly file: string;
  readonly served: ServedApp;
}

async function rig(initial: string): Promise<Rig> {
  const dir = tempDir('tokenvend-keys-');
  const file = join(dir, 'keys.json');
  writeFileSync(file, initial, { mode: 0o600 });
  const t = await buildApp({ NODE_ENV: 'production', SIGNING_KEYS_FILE: file, CALLERS: callersJson(caller), RATE_LIMIT_PER_MINUTE: '1000000' });
  const logger = (await import('../../src/logging/create-logger.js')).createLogger('info', { write: (line: string) => void t.rawLogs.push(line) });
  const reloader = createKeySetReloader({ path: file, keyRing: t.keyRing, logger, metrics: t.metrics, initialContent: initial, debounceMs: 20 });
  reloader.watch();
  const served = await serveOnLoopback(t.app);
  return { t, reloader, file, served, base: served.base };
}

async function close(r: Rig): Promise<void> {
  r.reloader.close();
  await r.served.close();
  await r.t.close();
}

/** Replaces the file the way deploy tools do: write a temporary file, then rename it over the old one. */
function replaceAtomically(file: string, content: string): void {
  writeFileSync(`${file}.tmp`, content, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

const metric = async (t: TestApp, name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(await t.metrics.registry.metrics())?.[1]);


describe('key rotation without downtime', () => {
  it('continuous minting from concurrent clients through add → promote → retire: no failure, every token verifies against the JWKS of its moment', async () => {
    const a = privateSetKey('ES256', 'key-a');
    const b = privateSetKey('EdDSA', 'key-b');
    const c = privateSetKey('RS256', 'key-c');
    // The runbook: publish the next key, promote it, retire the old one once its tokens expired.
    const steps = [keySetJson(a, b), keySetJson(b, a), keySetJson(b), keySetJson(b, c), keySetJson(c, b), keySetJson(c)];
    const r = await rig(keySetJson(a));
    const failures: string[] = [];
    const kidsSeen = new Set<string>();
    let minted = 0;
    let running = true;

    const client = async () => {
      while (running) {
        const res = await fetch(`${r.base}/tokens`, { method: 'POST', headers: { Authorization: `Bearer ${caller.key}`, 'Content-Type': 'application/json' }, body: '{"orgId":"org_a"}' });
        if (res.status !== 201) {
          failures.push(`status ${res.status}`);
          continue;
        }
        const { token } = (await res.json()) as { token: string };
        // What a verifier would fetch right after receiving the token.
        const jwks = (await (await fetch(`${r.base}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
        try {
          await jwtVerify(token, createLocalJWKSet(jwks));
          kidsSeen.add(decodeProtectedHeader(token).kid as string);
          minted += 1;
        } catch (error) {
          failures.push(`verify: ${(error as Error).message}`);
        }
      }
    };
    const clients = Array.from({ length: 6 }, client);
    try {
      for (const content of steps) {
        await sleep(150);
        replaceAtomically(r.file, content);
        await until(() => r.t.keyRing.keys.map((key) => key.kid).join() === (JSON.parse(content) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid).join());
      }
      await sleep(150);
    } finally {
      running = false;
      await Promise.all(clients);
      await close(r);
    }
    expect(failures).toEqual([]);
    expect(minted).toBeGreaterThan(50);
    expect([...kidsSeen].sort()).toEqual(['key-a', 'key-b', 'key-c']);
  });

  it('a broken file is rejected whole: old keys keep signing, the failure is counted and logged, readiness stays 200', async () => {
    const r = await rig(keySetJson(privateSetKey('ES256', 'key-a')));
    try {
      const secretD = privateSetKey('ES256', 'key-x').d as string;
      for (const broken of ['{"keys": [', keySetJson({ ...privateSetKey('ES256', 'dup'), d: secretD }, privateSetKey('EdDSA', 'dup'))]) {
        const before = await metric(r.t, 'tokenvend_key_reload_failures_total');
        replaceAtomically(r.file, broken);
        await until(async () => (await metric(r.t, 'tokenvend_key_reload_failures_total')) === before + 1);
      }
      expect(r.t.keyRing.active?.kid).toBe('key-a');
      expect((await fetch(`${r.base}/readyz`)).status).toBe(200);
      const res = await fetch(`${r.base}/tokens`, { method: 'POST', headers: { Authorization: `Bearer ${caller.key}`, 'Content-Type': 'application/json' }, body: '{"orgId":"o"}' });
      expect(res.status).toBe(201);
      const failuresLogged = r.t.logs.filter((line) => line.event === 'keys.reload_failed');
      // The second file's first key has another key's private part: the probe at load refuses it (and names it, never its material).
      expect(failuresLogged.map((line) => line.reason)).toEqual([
        'is not valid JSON (line 1, column 11)',
        'keys[0] ("dup"): key "dup" signs what its published public key does not verify: its private part does not match its public part',
      ]);
      expect(r.t.rawLogs.join('\n')).not.toContain(secretD);
      expect(r.t.rawLogs.join('\n')).not.toContain(secretD);
    } finally {
      await close(r);
    }
  });

  it('signing_key_info follows the active key; SIGHUP-style reload of an unchanged file changes nothing', async () => {
    const a = privateSetKey('ES256', 'key-a');
    const b = privateSetKey('PS256', 'key-b');
    const r = await rig(keySetJson(a, b));
    try {
      const info = async () => (await r.t.metrics.registry.metrics()).split('\n').filter((line) => line.startsWith('tokenvend_signing_key_info{'));
      expect(await info()).toEqual(['tokenvend_signing_key_info{kid="key-b",alg="PS256"} 0', 'tokenvend_signing_key_info{kid="key-a",alg="ES256"} 1']);
      writeFileSync(r.file, keySetJson(b, a));
      expect(await r.reloader.reload('SIGHUP')).toBe(true);
      expect(await info()).toEqual(['tokenvend_signing_key_info{kid="key-a",alg="ES256"} 0', 'tokenvend_signing_key_info{kid="key-b",alg="PS256"} 1']);
      expect(await r.reloader.reload('SIGHUP')).toBe(false);
      expect(r.t.logs.filter((line) => line.event === 'keys.reloaded').length).toBeGreaterThanOrEqual(1);
    } finally {
      await close(r);
    }
  });

  it('logs one line when a reload recovers after failures, and none after a good reload that followed no failure', async () => {
    const a = privateSetKey('ES256', 'key-a');
    const b = privateSetKey('ES256', 'key-b');
    const r = await rig(keySetJson(a));
    try {
      r.reloader.close(); // Reloads by hand here: one at a time, no debounce.
      writeFileSync(r.file, keySetJson(a, b));
      expect(await r.reloader.reload('SIGHUP')).toBe(true);
      expect(r.t.logs.filter((line) => line.event === 'keys.reload_recovered')).toEqual([]);
      for (const broken of ['{"keys": [', '{"keys": []}']) {
        writeFileSync(r.file, broken);
        expect(await r.reloader.reload('SIGHUP')).toBe(false);
      }
      writeFileSync(r.file, keySetJson(b, a));
      expect(await r.reloader.reload('file-change')).toBe(true);
      expect(r.t.logs.filter((line) => line.event === 'keys.reload_recovered')).toEqual([
        expect.objectContaining({ level: 'info', trigger: 'file-change', active: 'key-b', msg: 'SIGNING_KEYS_FILE is valid again; reloaded' }),
      ]);
      // A broken edit undone (the file back to the keys in hand) is a recovery too.
      writeFileSync(r.file, '{');
      await r.reloader.reload('SIGHUP');
      writeFileSync(r.file, keySetJson(b, a));
      await r.reloader.reload('SIGHUP');
      expect(r.t.logs.filter((line) => line.event === 'keys.reload_recovered')).toHaveLength(2);
    } finally {
      await close(r);
    }
  });
});
