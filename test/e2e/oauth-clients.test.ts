/**
 * Real OAuth 2.0 clients that nobody here wrote, unmodified, against the real tokenvend process:
 * Node's openid-client, Python's authlib (Debian's python3-authlib), Go's x/oauth2 clientcredentials
 * (Debian's golang-golang-x-oauth2-dev, built offline). Each token is verified against the JWKS.
 */
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { callersJson } from '../support/callers.js';
import { oauthCaller } from '../support/client-assertions.js';
import { p256Key } from '../support/keys.js';
import { freePort } from '../support/redis-server.js';
import { startService, type RunningService } from '../support/spawn-service.js';

const run = promisify(execFile);
const CLIENTS = fileURLToPath(new URL('./oauth-clients/', import.meta.url));
const DEBIAN_PYTHON = '/usr/bin/python3';
const GOCODE = '/usr/share/gocode';

const clientKey = p256Key();
const web = oauthCaller('web-backend', { orgs: ['org_a'] }, clientKey.privateKey);

function works(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const hasAuthlib = existsSync(DEBIAN_PYTHON) && works(DEBIAN_PYTHON, ['-c', 'import authlib, requests']);
const hasGoOAuth2 = works('go', ['version']) && existsSync(join(GOCODE, 'src/golang.org/x/oauth2/clientcredentials'));

let service: RunningService;
let base: string;
let work: string;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  service = await startService({
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    PRIVATE_KEY: p256Key().pkcs8,
    CALLERS: callersJson(web),
    // RFC 8414 §3.3: the issuer is the URL discovery is served under.
    TOKEN_ISSUER: base,
    TOKEN_AUDIENCE: 'orders-api',
  });
  work = mkdtempSync(join(tmpdir(), 'tokenvend-oauth-clients-'));
  writeFileSync(join(work, 'client-key.pem'), clientKey.pkcs8, { mode: 0o600 });
});

afterAll(async () => {
  // The service verified the private_key_jwt assertions on its assertion thread (2 cores here), which never failed.
  expect(service?.logs().filter((line) => line.event === 'assertion_thread.failed')).toEqual([]);
  await service?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function expectTokenFor(token: string): Promise<void> {
  const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`)), { issuer: base, audience: 'orders-api', typ: 'at+jwt' });
  expect(protectedHeader.typ).toBe('at+jwt');
  expect(payload).toMatchObject({ orgId: 'org_a', sub: 'web-backend', client_id: 'web-backend', aud: 'orders-api' });
}

describe('Node: openid-client', () => {
  const discover = (auth: client.ClientAuth) => client.discovery(new URL(base), 'web-backend', undefined, auth, { execute: [client.allowInsecureRequests] });
  const openidClient = (env: Record<string, string>) =>
    run(process.execPath, [join(CLIENTS, 'openid-client.mjs')], { env: { PATH: process.env.PATH ?? '', TOKENVEND_URL: base, TOKENVEND_CLIENT_ID: 'web-backend', TOKENVEND_ORG: 'org_a', ...env } });

  it('discovers the token endpoint from the issuer', async () => {
    const config = await discover(client.ClientSecretPost(web.key));
    expect(config.serverMetadata()).toMatchObject({ issuer: base, token_endpoint: `${base}/oauth/token`, jwks_uri: `${base}/.well-known/jwks.json` });
  });

  it.each<[string, Record<string, string>]>([
    ['client_secret_post', { TOKENVEND_CLIENT_SECRET: web.key }],
    ['client_secret_basic', { TOKENVEND_CLIENT_SECRET: web.key }],
    ['private_key_jwt', { TOKENVEND_PRIVATE_KEY_FILE: 'client-key.pem', TOKENVEND_KEY_ID: 'web-backend-1' }],
  ])('gets a token with %s', async (method, env) => {
    const file = env.TOKENVEND_PRIVATE_KEY_FILE;
    const { stdout } = await openidClient({ TOKENVEND_AUTH: method, ...env, ...(file && { TOKENVEND_PRIVATE_KEY_FILE: join(work, file) }) });
    await expectTokenFor(stdout.trim());
  });

  it('gets the scope back from clientCredentialsGrant', async () => {
    const tokens = await client.clientCredentialsGrant(await discover(client.ClientSecretBasic(web.key)), { scope: 'org:org_a' });
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.scope).toBe('org:org_a');
  });

  it('surfaces a refusal as the OAuth error', async () => {
    await expect(openidClient({ TOKENVEND_AUTH: 'client_secret_post', TOKENVEND_CLIENT_SECRET: web.key, TOKENVEND_ORG: 'org_b' })).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('refused: invalid_scope') });
  });
});

describe('the README', () => {
  it('shows the programs these tests run', () => {
    const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    for (const file of ['go-client/main.go', 'authlib_client.py', 'openid-client.mjs']) {
      expect(readme).toContain(readFileSync(join(CLIENTS, file), 'utf8'));
    }
  });
});

// Skipped without Debian's /usr/bin/python3 and its python3-authlib package.
(hasAuthlib ? describe : describe.skip)('Python: authlib OAuth2Session (needs /usr/bin/python3 with Debian package python3-authlib)', () => {
  const authlib = (env: Record<string, string>) =>
    run(DEBIAN_PYTHON, [join(CLIENTS, 'authlib_client.py')], { env: { PATH: process.env.PATH ?? '', TOKENVEND_URL: base, TOKENVEND_CLIENT_ID: 'web-backend', TOKENVEND_ORG: 'org_a', ...env } });

  it('gets a token with client_secret_basic', async () => {
    const { stdout } = await authlib({ TOKENVEND_AUTH: 'client_secret_basic', TOKENVEND_CLIENT_SECRET: web.key });
    await expectTokenFor(stdout.trim());
  });

  it('gets a token with private_key_jwt (ES256)', async () => {
    const { stdout } = await authlib({ TOKENVEND_AUTH: 'private_key_jwt', TOKENVEND_PRIVATE_KEY_FILE: join(work, 'client-key.pem') });
    await expectTokenFor(stdout.trim());
  });

  it('surfaces a refusal as the OAuth error', async () => {
    await expect(authlib({ TOKENVEND_AUTH: 'client_secret_basic', TOKENVEND_CLIENT_SECRET: web.key, TOKENVEND_ORG: 'org_b' })).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('refused: invalid_scope') });
  });
});

// Skipped without the go program (Debian package golang-go) and Debian's golang-golang-x-oauth2-dev sources.
(hasGoOAuth2 ? describe : describe.skip)('Go: x/oauth2 clientcredentials (needs go from Debian package golang-go and golang-golang-x-oauth2-dev)', () => {
  let binary: string;
  beforeAll(async () => {
    // Built offline from the Debian sources: GOPATH mode, no module proxy, a private build cache.
    const gopath = join(work, 'gopath');
    const source = join(gopath, 'src/tokenvendclient');
    mkdirSync(source, { recursive: true });
    copyFileSync(join(CLIENTS, 'go-client/main.go'), join(source, 'main.go'));
    binary = join(work, 'go-client');
    await run('go', ['build', '-o', binary, '.'], {
      cwd: source,
      env: { PATH: process.env.PATH ?? '', HOME: work, GO111MODULE: 'off', GOPATH: `${gopath}:${GOCODE}`, GOCACHE: join(work, 'gocache'), GOPROXY: 'off', GOFLAGS: '', CGO_ENABLED: '0' },
    });
  }, 240_000);

  const goClient = (org: string) => run(binary, [], { env: { TOKENVEND_URL: base, TOKENVEND_CLIENT_ID: 'web-backend', TOKENVEND_CLIENT_SECRET: web.key, TOKENVEND_ORG: org } });

  it('gets a token with Scopes: ["org:org_a"] (client_secret_basic)', async () => {
    const { stdout } = await goClient('org_a');
    await expectTokenFor(stdout.trim());
  });

  it('surfaces a refusal as the OAuth error', async () => {
    await expect(goClient('org_b')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('"error":"invalid_scope"') });
  });
});
