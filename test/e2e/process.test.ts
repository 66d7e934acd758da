import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { callersJson, testCaller } from '../support/callers.js';
import { mismatchedJwk, p256Key, rsaKey } from '../support/keys.js';
import { runToExit, startService, type RunningService } from '../support/spawn-service.js';
import { tempDir } from '../support/temp-dir.js';
import { until } from '../support/wait.js';

const caller = testCaller('web-backend', { orgs: ['org_a'] });
const prodEnv = () => ({ NODE_ENV: 'production', PRIVATE_KEY: p256Key().pkcs8, CALLERS: callersJson(caller) });
const ONE_KEY = 'give exactly one (several keys, each with its own kid, go in SIGNING_KEYS_FILE: see "Key rotation" in the README)';

describe('start-up misconfiguration exits non-zero with one line naming the variable', () => {
  it.each<[string, Record<string, string>, string]>([
    ['production without a key', { NODE_ENV: 'production', CALLERS: callersJson(caller) }, 'PRIVATE_KEY: is required in production (or PRIVATE_KEY_FILE, or SIGNING_KEYS_FILE, or ORG_KEYS_FILE for per-org keys)'],
    ['production without callers', { NODE_ENV: 'production', PRIVATE_KEY: 'k'.repeat(40) }, 'CALLERS: is required in production (or CALLERS_FILE)'],
    ['a short HMAC secret', { NODE_ENV: 'production', PRIVATE_KEY: 'hunter2-is-not-a-key', CALLERS: callersJson(caller) }, 'PRIVATE_KEY: is an HMAC secret of 20 bytes; HS256 needs at least 32'],
    ['a mismatching SIGNING_ALG', { ...prodEnv(), SIGNING_ALG: 'RS256' }, 'SIGNING_ALG: RS256 does not suit the EC key on P-256 (it supports ES256)'],
    ['a missing key file', { NODE_ENV: 'production', PRIVATE_KEY_FILE: '/nonexistent/key.pem', CALLERS: callersJson(caller) }, 'PRIVATE_KEY_FILE: cannot read the file /nonexistent/key.pem (ENOENT)'],
    ['a path in PRIVATE_KEY', { NODE_ENV: 'production', PRIVATE_KEY: '/etc/tokenvend/signing-key.pem', CALLERS: callersJson(caller) }, 'PRIVATE_KEY: looks like a file path, not key material; to read the key from a file, set PRIVATE_KEY_FILE to that path instead'],
    ['a PEM still in its .env quotes', { NODE_ENV: 'production', PRIVATE_KEY: `"${p256Key().pkcs8.trim().replace(/\n/g, '\\n')}"`, CALLERS: callersJson(caller) }, 'PRIVATE_KEY: is wrapped in quotes; remove them (a .env file or a shell kept them as part of the value)'],
    ['a base64 key body without BEGIN/END', { NODE_ENV: 'production', PRIVATE_KEY: p256Key().pkcs8.split('\n').filter((line) => line && !line.startsWith('-----')).join(''), CALLERS: callersJson(caller) }, 'PRIVATE_KEY: is a base64 DER key without its PEM lines; add the "-----BEGIN PRIVATE KEY-----" and "-----END PRIVATE KEY-----" lines (or use PRIVATE_KEY_FILE)'],
    ['NODE_ENV=prod without a key (production rules, not the demo)', { NODE_ENV: 'prod' }, 'PRIVATE_KEY: is required in production (or PRIVATE_KEY_FILE, or SIGNING_KEYS_FILE, or ORG_KEYS_FILE for per-org keys)'],
    ['a bad CALLERS entry', { ...prodEnv(), CALLERS: '[{"id":"web","keySha256":"abc","orgs":["*"]}]' }, 'CALLERS: entry 0 ("web"): keySha256 must be the 64 hex characters of a SHA-256 digest'],
    ['a bad PORT', { ...prodEnv(), PORT: 'eighty' }, 'PORT: must be a whole number'],
    ['a private JWK whose parts disagree', { ...prodEnv(), PRIVATE_KEY: mismatchedJwk('mixed-1') }, 'PRIVATE_KEY: key "mixed-1" signs what its published public key does not verify: its private part does not match its public part'],
    ['a public HOST in demo mode', { HOST: '0.0.0.0' }, 'HOST: must be a loopback address in demo mode (configure a key and callers to listen elsewhere)'],
    ['two private keys in PRIVATE_KEY (the old and the next, pasted together)', { NODE_ENV: 'production', PRIVATE_KEY: `${p256Key().pkcs8}${rsaKey().pkcs8}`, CALLERS: callersJson(caller) }, `PRIVATE_KEY: holds 2 private keys; ${ONE_KEY}`],
  ])('%s', async (_name, env, message) => {
    const { code, stdout, stderr } = await runToExit(env);
    expect(code).toBe(1);
    expect(stderr).toBe(`tokenvend: configuration error: ${message}\n`);
    expect(stdout).toBe('');
    if (env.PRIVATE_KEY) expect(stderr).not.toContain(env.PRIVATE_KEY.length > 60 ? env.PRIVATE_KEY.slice(30, 60) : env.PRIVATE_KEY);
  });

  it('two private keys in PRIVATE_KEY_FILE fail with one line naming it, and none of either key', async () => {
    const dir = tempDir('tokenvend-');
    writeFileSync(join(dir, 'key.pem'), `${rsaKey().pkcs8}${p256Key().pkcs8}`, { mode: 0o600 });
    const { code, stdout, stderr } = await runToExit({ NODE_ENV: 'production', PRIVATE_KEY_FILE: join(dir, 'key.pem'), CALLERS: callersJson(caller) });
    expect({ code, stdout, stderr }).toEqual({ code: 1, stdout: '', stderr: `tokenvend: configuration error: PRIVATE_KEY_FILE: holds 2 private keys; ${ONE_KEY}\n` });
  });

  it('a port already in use fails with one line too', async () => {
    const first = await startService(prodEnv());
    try {
      const { code, stderr } = await runToExit({ ...prodEnv(), PORT: String(first.port), HOST: '127.0.0.1' });
      expect(code).toBe(1);
      expect(stderr).toMatch(/^tokenvend: failed to start: listen EADDRINUSE: address already in use 127\.0\.0\.1:\d+\n$/);
    } finally {
      await first.stop();
    }
  });
});

describe('the listening line says which algorithm signs and whether the key is published', () => {
  it.each<[string, () => string, Record<string, unknown>, number]>([
    // A Vapi private key is a UUID: 36 bytes, a valid HS256 secret.
    ['an HMAC secret (a UUID)', () => '3f8e1c2a-7b4d-4e6f-9a1b-2c3d4e5f6a7b', { alg: 'HS256', published: false, publishedKeys: 0 }, 0],
    ['an EC key', () => p256Key().pkcs8, { alg: 'ES256', published: true, publishedKeys: 1 }, 1],
  ])('%s', async (_name, key, expected, jwksKeys) => {
    const service = await startService({ NODE_ENV: 'production', PRIVATE_KEY: key(), CALLERS: callersJson(caller) });
    try {
      expect(service.logs().find((line) => line.event === 'listening')).toMatchObject(expected);
      const jwks = (await (await fetch(`${service.baseUrl}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
      expect(jwks.keys).toHaveLength(jwksKeys);
      expect(service.logs().find((line) => line.event === 'listening')?.publishedKeys).toBe(jwks.keys.length);
    } finally {
      await service.stop();
    }
  });
});

describe('zero-config demo mode', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({});
    // The banner goes to stderr, the "listening" line to stdout: two pipes, no order between them here.
    await until(() => service.stderr().includes('Verify it against'), 5000, 'the demo banner');
  });
  afterAll(async () => {
    await service.stop();
  });

  it('listens on 127.0.0.1 only and warns loudly', () => {
    expect(service.logs().find((line) => line.event === 'listening')).toMatchObject({ address: '127.0.0.1', demo: true, alg: 'ES256', callers: 1 });
    expect(service.logs().some((line) => line.event === 'demo_mode' && line.level === 'warn')).toBe(true);
    expect(service.stderr()).toContain('DEMO MODE');
    expect(service.stderr()).toContain('Nothing persists');
  });

  it('prints a curl that mints a token verifiable against the JWKS', async () => {
    const banner = service.stderr();
    const url = /curl -s -X POST (\S+)/.exec(banner)?.[1];
    const authorization = /-H "Authorization: (Bearer tv_[\w-]+)"/.exec(banner)?.[1];
    const body = /-d '(.+)'/.exec(banner)?.[1];
    expect(url).toBe(`${service.baseUrl}/tokens`);
    const res = await fetch(url as string, { method: 'POST', headers: { Authorization: authorization as string, 'Content-Type': 'application/json' }, body: body as string });
    expect(res.status).toBe(201);
    const { token, orgId } = (await res.json()) as { token: string; orgId: string };
    expect(orgId).toBe('org_demo');
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${service.baseUrl}/.well-known/jwks.json`)));
    expect(payload.orgId).toBe('org_demo');
    // The demo key is shown once in the banner; it and the token never reach the JSON log.
    expect(service.stdout()).not.toContain((authorization as string).slice(7));
    expect(service.stdout()).not.toContain(token.split('.')[2]);
  });

  it('the banner\'s OAuth command works as printed: client_secret_basic with the demo caller, an RFC 6749 §5.1 answer whose token says client_id demo', async () => {
    const banner = service.stderr();
    const printed = /curl -s -u '([^':]+):(tv_[\w-]+)' -d grant_type=client_credentials -d scope=(\S+) (\S+)/.exec(banner);
    expect(printed?.[1]).toBe('demo');
    expect(printed?.[4]).toBe(`${service.baseUrl}/oauth/token`);
    const [, clientId, secret, scope, url] = printed as RegExpExecArray;
    const res = await fetch(url as string, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: scope as string }).toString(),
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { access_token: string; token_type: string; scope: string };
    expect(answer).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'org:org_demo' });
    const { payload, protectedHeader } = await jwtVerify(answer.access_token, createRemoteJWKSet(new URL(`${service.baseUrl}/.well-known/jwks.json`)));
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload).toMatchObject({ orgId: 'org_demo', client_id: 'demo', sub: 'demo' });
    expect(service.stdout()).not.toContain(secret);
    expect(service.stdout()).not.toContain(answer.access_token.split('.')[2]);
  });
});

describe('a configured process', () => {
  it('reads the key and callers from files and serves tokens; nothing secret reaches its output', async () => {
    const dir = tempDir('tokenvend-');
    writeFileSync(join(dir, 'key.pem'), rsaKey().pkcs8, { mode: 0o600 });
    writeFileSync(join(dir, 'callers.json'), callersJson(caller));
    const service = await startService({ NODE_ENV: 'production', HOST: '127.0.0.1', PRIVATE_KEY_FILE: join(dir, 'key.pem'), CALLERS_FILE: join(dir, 'callers.json') });
    try {
      const mint = (orgId: string, key = caller.key) =>
        fetch(`${service.baseUrl}/tokens`, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ orgId }) });
      const ok = await mint('org_a');
      expect(ok.status).toBe(201);
      const { token } = (await ok.json()) as { token: string };
      expect((await mint('org_b')).status).toBe(403);
      expect((await mint('org_a', `${caller.key}x`)).status).toBe(401);
      await service.waitForLog((line) => line.event === 'token.rejected' && line.reason === 'unauthenticated');
      const output = service.stdout() + service.stderr();
      expect(output).not.toContain(caller.key);
      expect(output).not.toContain(token.split('.')[2]);
      expect(output).not.toContain(rsaKey().pkcs8.split('\n')[5]);
      expect(service.logs().map((line) => line.event)).toEqual(['metrics.not_served', 'listening', 'token.issued', 'token.rejected', 'token.rejected']);
    } finally {
      expect(await service.stop()).toBe(0);
    }
  });
});

describe('node flags', () => {
  it('process-wide flags operators pass (heap size, stack size) do not stop the signing thread', async () => {
    // Listed as a Worker's execArgv these make `new Worker` throw; inherited by default they are fine.
    const service = await startService({ ...prodEnv(), HOST: '127.0.0.1' }, 10_000, ['--max-old-space-size=256', '--stack-size=900']);
    try {
      const res = await fetch(`${service.baseUrl}/tokens`, { method: 'POST', headers: { Authorization: `Bearer ${caller.key}`, 'Content-Type': 'application/json' }, body: '{"orgId":"org_a"}' });
      expect(res.status).toBe(201);
      const { token } = (await res.json()) as { token: string };
      await expect(jwtVerify(token, createRemoteJWKSet(new URL(`${service.baseUrl}/.well-known/jwks.json`)))).resolves.toBeDefined();
    } finally {
      expect(await service.stop()).toBe(0);
    }
  });
});

describe('graceful shutdown', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s finishes the request in flight, refuses new ones, exits 0', async (signal) => {
    const service = await startService(prodEnv());
    const body = JSON.stringify({ orgId: 'org_a' });
    // Start a request and hold back half its body, so it is in flight when the signal arrives.
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${service.baseUrl}/tokens`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${caller.key}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.write(body.slice(0, 5));
      setTimeout(() => {
        service.child.kill(signal);
        setTimeout(() => req.end(body.slice(5)), 300);
      }, 200);
    });
    const started = Date.now();
    const exitCode = new Promise((resolve) => service.child.once('exit', resolve));
    const finished = await response;
    expect(finished.status).toBe(201);
    expect(JSON.parse(finished.body)).toMatchObject({ orgId: 'org_a', tokenType: 'Bearer' });
    await expect(fetch(`${service.baseUrl}/healthz`)).rejects.toThrow();
    expect(await exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    const events = service.logs().map((line) => line.event);
    // Lines are written synchronously: the finished request's audit line comes before "stopped".
    expect(events).toEqual(['metrics.not_served', 'listening', 'shutdown', 'token.issued', 'stopped']);
  });
});

describe('a log that cannot be written', () => {
  it('stops the process instead of sending a token it could not audit', async () => {
    const service = await startService(prodEnv());
    const exited = once(service.child, 'exit');
    try {
      // The reader goes away: the next line written to stdout meets EPIPE.
      service.child.stdout?.destroy();
      const minting = fetch(`${service.baseUrl}/tokens`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${caller.key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ orgId: 'org_a' }),
      });
      await expect(minting).rejects.toThrow();
      const [code] = (await exited) as [number | null];
      expect(code).toBe(1);
      expect(service.stderr()).toBe('tokenvend: cannot write the log to stdout (EPIPE); stopping, since tokens must not be issued unaudited\n');
    } finally {
      service.child.kill('SIGKILL');
    }
  });
});

describe('SIGNING_KEYS_FILE in a real process', () => {
  it('publishes every key, signs with the first, survives SIGHUP and reloads the changed file', async () => {
    const { keySetJson, privateSetKey } = await import('../support/key-sets.js');
    const dir = tempDir('tokenvend-set-');
    const file = join(dir, 'keys.json');
    const a = privateSetKey('ES256', 'key-a');
    const b = privateSetKey('EdDSA', 'key-b');
    writeFileSync(file, keySetJson(a, b), { mode: 0o600 });
    const service = await startService({ NODE_ENV: 'production', SIGNING_KEYS_FILE: file, CALLERS: callersJson(caller) });
    try {
      const kids = async () => ((await (await fetch(`${service.baseUrl}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid);
      expect(await kids()).toEqual(['key-a', 'key-b']);
      service.child.kill('SIGHUP');
      await service.waitForLog((line) => line.event === 'keys.reload_skipped' || line.event === 'keys.reloaded' || line.event === 'keys.reload_failed', 1000).catch(() => undefined);
      expect(service.child.exitCode).toBeNull();

      writeFileSync(`${file}.next`, keySetJson(b, a), { mode: 0o600 });
      // A plain write without rename, then SIGHUP: whichever of the watcher and the signal comes first reloads it.
      writeFileSync(file, keySetJson(b, a));
      service.child.kill('SIGHUP');
      await service.waitForLog((line) => line.event === 'keys.reloaded');
      const res = await fetch(`${service.baseUrl}/tokens`, { method: 'POST', headers: { Authorization: `Bearer ${caller.key}`, 'Content-Type': 'application/json' }, body: '{"orgId":"org_a"}' });
      const { token } = (await res.json()) as { token: string };
      expect(JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString())).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: 'key-b' });
      expect(service.stdout()).not.toContain(a.d as string);
    } finally {
      expect(await service.stop()).toBe(0);
    }
  });

  it('refuses a key set file that does not validate at start, naming the variable and the key', async () => {
    const dir = tempDir('tokenvend-set-');
    writeFileSync(join(dir, 'keys.json'), '{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b"}]}');
    const { code, stderr } = await runToExit({ NODE_ENV: 'production', SIGNING_KEYS_FILE: join(dir, 'keys.json'), CALLERS: callersJson(caller) });
    expect(code).toBe(1);
    expect(stderr).toBe('tokenvend: configuration error: SIGNING_KEYS_FILE: keys[0]: needs a "kid" of 1-128 printable ASCII characters\n');
  });
});
