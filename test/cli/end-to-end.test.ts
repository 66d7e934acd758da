/** The built executable, spawned as an operator would run it, against the real service process. */
import { readFileSync } from 'node:fs';
import { decodeJwt, type JWK } from 'jose';
import { startService, type RunningService } from '../support/spawn-service.js';
import { CLI, requireBuiltCli, runBuiltCli } from './helpers/built-cli.js';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

beforeAll(requireBuiltCli);

describe('the tokenvend executable', () => {
  test('starts with a node shebang', () => {
    expect(readFileSync(CLI, 'utf8').split('\n', 1)[0]).toBe('#!/usr/bin/env node');
  });

  test('--help lists every command', async () => {
    const { code, stdout, stderr } = await runBuiltCli(['--help']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^Usage: tokenvend <command> \[options\]\n/);
    for (const name of ['keygen', 'hash-key', 'mint', 'verify']) expect(stdout).toMatch(new RegExp(`\\n  ${name} +\\S`));
  });

  test.each(['keygen', 'hash-key', 'mint', 'verify'])('%s --help', async (name) => {
    const { code, stdout, stderr } = await runBuiltCli([name, '--help']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(new RegExp(`^Usage: tokenvend ${name} .*\\n[\\s\\S]*\\nExamples:\\n`));
  });

  test('--version prints the package version', async () => {
    await expect(runBuiltCli(['--version'])).resolves.toEqual({ code: 0, stdout: `tokenvend ${version}\n`, stderr: '' });
  });

  test('an unknown command exits 2 with the usage on stderr', async () => {
    const { code, stdout, stderr } = await runBuiltCli(['frobnicate']);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toMatch(/^tokenvend: unknown command "frobnicate"\n\nUsage: tokenvend <command>/);
  });

  test('an unknown option exits 2', async () => {
    const { code, stdout, stderr } = await runBuiltCli(['keygen', '--bits', '4096']);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr.split('\n', 1)[0]).toBe('tokenvend keygen: unknown option --bits');
  });

  test('no command exits 2', async () => {
    await expect(runBuiltCli([])).resolves.toMatchObject({ code: 2, stdout: '' });
  });

  test('hash-key - reads the key from stdin', async () => {
    // A well-formed key (43 zeros and their CRC32 in base62); its SHA-256 computed with Python's hashlib.
    await expect(runBuiltCli(['hash-key', '-'], { stdin: `tv_${'0'.repeat(43)}2CZclj\n` })).resolves.toEqual({
      code: 0,
      stdout: '6bb457268fc038189848664cd39fb96ec3c82ddf5c9da9ee83782cf3ea3a996b\n',
      stderr: '',
    });
  });

  test('mint without a key exits 1 with one line naming PRIVATE_KEY', async () => {
    await expect(runBuiltCli(['mint', '--org', 'org_a'])).resolves.toEqual({ code: 1, stdout: '', stderr: 'tokenvend mint: PRIVATE_KEY: is required (or PRIVATE_KEY_FILE, or SIGNING_KEYS_FILE)\n' });
  });
});

describe('keygen → hash-key --new → the real service → POST /tokens → verify --jwks', () => {
  let jwk: JWK;
  let callerKey: string;
  let service: RunningService;

  beforeAll(async () => {
    const keygen = await runBuiltCli(['keygen', '--alg', 'EdDSA', '--jwk']);
    expect(keygen).toMatchObject({ code: 0, stderr: '' });
    jwk = JSON.parse(keygen.stdout) as JWK;

    const hashKey = await runBuiltCli(['hash-key', '--new', '--id', 'web-backend']);
    expect(hashKey).toMatchObject({ code: 0, stderr: '' });
    callerKey = /^key: +(\S+)$/m.exec(hashKey.stdout)?.[1] as string;
    const entry = /^callers entry: (.+)$/m.exec(hashKey.stdout)?.[1] as string;

    service = await startService({ NODE_ENV: 'production', HOST: '127.0.0.1', PRIVATE_KEY: keygen.stdout, CALLERS: `[${entry}]`, TOKEN_AUDIENCE: 'billing' });
  });
  afterAll(async () => {
    await service?.stop();
  });

  test('the service signs with the generated key, its kid the thumbprint', () => {
    expect(service.logs().find((line) => line.event === 'listening')).toMatchObject({ alg: 'EdDSA', kid: jwk.kid, callers: 1 });
  });

  async function requestToken(): Promise<string> {
    const response = await fetch(`${service.baseUrl}/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${callerKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ orgId: 'org_a', expiresIn: '10m' }),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { token: string }).token;
  }

  test('verify --jwks prints the claims of a token from POST /tokens', async () => {
    const token = await requestToken();
    const { code, stdout, stderr } = await runBuiltCli(['verify', token, '--jwks', `${service.baseUrl}/.well-known/jwks.json`, '--audience', 'billing']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(stdout)).toEqual(decodeJwt(token));
  });

  test('mint with the same key makes a token the service JWKS accepts (token on stdin)', async () => {
    const minted = await runBuiltCli(['mint', '--org', 'org_b', '--ttl', '2m'], { env: { PRIVATE_KEY: JSON.stringify(jwk), TOKEN_AUDIENCE: 'billing' } });
    expect(minted).toMatchObject({ code: 0, stderr: '' });
    const { code, stdout, stderr } = await runBuiltCli(['verify', '-', '--jwks', `${service.baseUrl}/.well-known/jwks.json`], { stdin: minted.stdout });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(stdout)).toMatchObject({ orgId: 'org_b', aud: 'billing' });
  });

  test('a tampered token exits 1', async () => {
    const token = await requestToken();
    const tampered = `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    const { code, stdout, stderr } = await runBuiltCli(['verify', tampered, '--jwks', `${service.baseUrl}/.well-known/jwks.json`]);
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toMatch(/^tokenvend verify: Token is invalid \(ERR_JWS_[A-Z_]+\) \[ERR_TOKENVEND_TOKEN_INVALID\]\n$/);
  });
});

describe('a generated PEM starts the real service', () => {
  test.each<[string, Record<string, string>]>([
    ['ES384', {}],
    ['PS256', { SIGNING_ALG: 'PS256' }],
  ])('%s', async (alg, extra) => {
    const keygen = await runBuiltCli(['keygen', '--alg', alg]);
    expect(keygen.code).toBe(0);
    const service = await startService({ PRIVATE_KEY: keygen.stdout, CALLERS: '[{"id":"x","keySha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad","orgs":["*"]}]', ...extra });
    try {
      expect(service.logs().find((line) => line.event === 'listening')).toMatchObject({ alg });
      const minted = await runBuiltCli(['mint', '--org', 'org_a'], { env: { PRIVATE_KEY: keygen.stdout, ...extra } });
      await expect(runBuiltCli(['verify', minted.stdout.trim(), '--jwks', `${service.baseUrl}/.well-known/jwks.json`])).resolves.toMatchObject({ code: 0, stderr: '' });
    } finally {
      await service.stop();
    }
  });
});
