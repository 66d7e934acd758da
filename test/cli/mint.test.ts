import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, decodeJwt, jwtVerify, type JWK } from 'jose';
import { mint } from '../../src/cli/commands/mint.js';
import { expectToMatchSchema } from '../support/openapi-contract.js';
import { ed25519Key, hmacSecret, p256Key, privateJwk, rsaKey, type TestKey } from '../support/keys.js';
import { run } from './helpers/memory-io.js';
import { decodeHeader } from './helpers/tokens.js';

const NOW_MS = 1_750_000_000_123;
const NOW = Math.floor(NOW_MS / 1000);
const clock = () => NOW_MS;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const USAGE = 'Usage: tokenvend mint --org ORG [--ttl TTL] [--audience AUD] [--tag private|public] [--json]\nRun "tokenvend mint --help" for details.\n';

const mintWith = (env: Record<string, string>, argv: string[]) => run(mint, argv, { env, clock });
const thumbprint = (key: TestKey) => calculateJwkThumbprint(key.publicKey.export({ format: 'jwk' }) as JWK, 'sha256');
const verifyAt = (token: string, key: Parameters<typeof jwtVerify>[1], options: Parameters<typeof jwtVerify>[2] = {}) =>
  jwtVerify(token, key, { currentDate: new Date(NOW_MS), ...options });

describe('mint: tokens the service would issue', () => {
  test('exact claims and header from a PKCS#8 PEM, with TOKEN_ISSUER and TOKEN_AUDIENCE', async () => {
    const env = { PRIVATE_KEY: p256Key().pkcs8, TOKEN_ISSUER: 'https://tokens.example.com', TOKEN_AUDIENCE: 'billing' };
    const { code, stdout, stderr } = await mintWith(env, ['--org', 'org_a', '--ttl', '15m']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const token = stdout.trim();
    const { payload, protectedHeader } = await verifyAt(token, p256Key().publicKey, { algorithms: ['ES256'], issuer: 'https://tokens.example.com', audience: 'billing' });
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'JWT', kid: await thumbprint(p256Key()) });
    expect(payload).toEqual({ orgId: 'org_a', iss: 'https://tokens.example.com', aud: 'billing', iat: NOW, exp: NOW + 900, jti: expect.stringMatching(UUID) });
    // Same member order as the service's issuer, byte for byte.
    expect(Object.keys(decodeJwt(token))).toEqual(['orgId', 'iss', 'aud', 'iat', 'exp', 'jti']);
  });

  test('--tag adds Vapi\'s scope claim; a Vapi private key (a UUID) signs HS256 as Vapi\'s page does', async () => {
    const secret = '6f1c3e1a-2b4d-4c5e-8f9a-0b1c2d3e4f5a';
    const { code, stdout, stderr } = await mintWith({ PRIVATE_KEY: secret, ORG_ID: 'b7e1c9d2-0000-4000-8000-000000000001' }, ['--tag', 'private']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const { payload, protectedHeader } = await verifyAt(stdout.trim(), new TextEncoder().encode(secret), { algorithms: ['HS256'] });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toEqual({ orgId: 'b7e1c9d2-0000-4000-8000-000000000001', token: { tag: 'private' }, iat: NOW, exp: NOW + 3600, jti: expect.stringMatching(UUID) });
    const refused = await mintWith({ PRIVATE_KEY: secret }, ['--org', 'org_a', '--tag', 'admin']);
    expect(refused).toMatchObject({ code: 2, stdout: '', stderr: expect.stringContaining('--tag must be private or public') });
  });

  test('without TOKEN_ISSUER and TOKEN_AUDIENCE the token has neither', async () => {
    const { stdout } = await mintWith({ PRIVATE_KEY: ed25519Key().pkcs8 }, ['--org', 'org_a']);
    const { payload, protectedHeader } = await verifyAt(stdout.trim(), ed25519Key().publicKey);
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(payload).toEqual({ orgId: 'org_a', iat: NOW, exp: NOW + 3600, jti: expect.stringMatching(UUID) });
  });

  test('TOKEN_AUDIENCE lists the audiences: one per token, the first by default, --audience picks another', async () => {
    const env = { PRIVATE_KEY: p256Key().pkcs8, TOKEN_AUDIENCE: 'billing, reports' };
    expect(decodeJwt((await mintWith(env, ['--org', 'org_a'])).stdout.trim()).aud).toBe('billing');
    expect(decodeJwt((await mintWith(env, ['--org', 'org_a', '--audience', 'reports'])).stdout.trim()).aud).toBe('reports');
  });

  test.each<[string, Record<string, string>, string]>([
    ['not among TOKEN_AUDIENCE', { TOKEN_AUDIENCE: 'billing' }, '--audience must be one of the configured audiences'],
    ['without TOKEN_AUDIENCE', {}, '--audience is not supported: this server has no TOKEN_AUDIENCE'],
  ])('--audience %s is refused, as POST /tokens refuses it', async (_name, extra, message) => {
    await expect(mintWith({ PRIVATE_KEY: p256Key().pkcs8, ...extra }, ['--org', 'org_a', '--audience', 'ledger'])).resolves.toEqual({ code: 1, stdout: '', stderr: `tokenvend mint: ${message}\n` });
  });

  test('SIGNING_ALG and KEY_ID are honoured (RSA signing PS256)', async () => {
    const { code, stdout } = await mintWith({ PRIVATE_KEY: rsaKey().pkcs8, SIGNING_ALG: 'PS256', KEY_ID: 'rsa-2025' }, ['--org', 'org_a']);
    expect(code).toBe(0);
    const { protectedHeader } = await verifyAt(stdout.trim(), rsaKey().publicKey, { algorithms: ['PS256'] });
    expect(protectedHeader).toEqual({ alg: 'PS256', typ: 'JWT', kid: 'rsa-2025' });
  });

  test("a private JWK's own kid and alg are used", async () => {
    const { stdout } = await mintWith({ PRIVATE_KEY: privateJwk(p256Key(), { kid: 'jwk-kid', alg: 'ES256' }) }, ['--org', 'org_a']);
    expect(decodeHeader(stdout.trim())).toEqual({ alg: 'ES256', typ: 'JWT', kid: 'jwk-kid' });
  });

  test('an HMAC secret signs HS256 without a kid', async () => {
    const secret = hmacSecret(48);
    const { code, stdout, stderr } = await mintWith({ PRIVATE_KEY: secret }, ['--org', 'org_a']);
    // Said first, so that a refusal of a random secret (one full run failed here once, unexplained) shows why.
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const { protectedHeader } = await verifyAt(stdout.trim(), new TextEncoder().encode(secret), { algorithms: ['HS256'] });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
  });

  describe('key files', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'tokenvend-mint-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test('PRIVATE_KEY_FILE is read', async () => {
      writeFileSync(join(dir, 'key.pem'), p256Key().pkcs8);
      const { code, stdout } = await mintWith({ PRIVATE_KEY_FILE: join(dir, 'key.pem') }, ['--org', 'org_a']);
      expect(code).toBe(0);
      await expect(verifyAt(stdout.trim(), p256Key().publicKey)).resolves.toBeDefined();
    });

    test('of a SIGNING_KEYS_FILE key set, the first key signs', async () => {
      const jwk = (key: TestKey, kid: string) => ({ ...(key.privateKey.export({ format: 'jwk' }) as JWK), kid });
      writeFileSync(join(dir, 'keys.json'), JSON.stringify({ keys: [jwk(ed25519Key(), 'next'), jwk(p256Key(), 'current')] }));
      const { code, stdout } = await mintWith({ SIGNING_KEYS_FILE: join(dir, 'keys.json') }, ['--org', 'org_a']);
      expect(code).toBe(0);
      const { protectedHeader } = await verifyAt(stdout.trim(), ed25519Key().publicKey);
      expect(protectedHeader).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: 'next' });
    });

    test('a key set and a key are exclusive, as in the service', async () => {
      writeFileSync(join(dir, 'keys.json'), JSON.stringify({ keys: [] }));
      await expect(mintWith({ SIGNING_KEYS_FILE: join(dir, 'keys.json'), PRIVATE_KEY: p256Key().pkcs8 }, ['--org', 'org_a'])).resolves.toEqual({
        code: 1,
        stdout: '',
        stderr: 'tokenvend mint: SIGNING_KEYS_FILE: and PRIVATE_KEY are exclusive; set one\n',
      });
    });
  });

  test('reads nothing but the signing variables: callers, ports and mode are ignored', async () => {
    const env = { PRIVATE_KEY: p256Key().pkcs8, NODE_ENV: 'production', CALLERS: 'not json', PORT: 'eighty', HOST: '0.0.0.0', REDIS_URL: 'nope' };
    await expect(mintWith(env, ['--org', 'org_a'])).resolves.toMatchObject({ code: 0, stderr: '' });
  });

  test('ORG_ID is the default org', async () => {
    const { stdout } = await mintWith({ PRIVATE_KEY: p256Key().pkcs8, ORG_ID: 'org_default' }, []);
    expect(decodeJwt(stdout.trim()).orgId).toBe('org_default');
  });

  test('--json prints the document POST /tokens answers 201 with', async () => {
    const { code, stdout } = await mintWith({ PRIVATE_KEY: p256Key().pkcs8 }, ['--org', 'org_a', '--ttl', '600', '--json']);
    expect(code).toBe(0);
    const body = JSON.parse(stdout) as Record<string, unknown>;
    expectToMatchSchema('TokenResponse', body);
    expect(body).toEqual({ token: expect.any(String), tokenType: 'Bearer', expiresIn: 600, expiresAt: new Date((NOW + 600) * 1000).toISOString(), orgId: 'org_a' });
    expect(Object.keys(body)).toEqual(['token', 'tokenType', 'expiresIn', 'expiresAt', 'orgId']);
    expect(decodeJwt(body.token as string)).toMatchObject({ orgId: 'org_a', iat: NOW, exp: NOW + 600 });
  });
});

describe('mint: lifetimes follow the service rules', () => {
  const env = { PRIVATE_KEY: p256Key().pkcs8 };
  const exp = async (argv: string[], extra: Record<string, string> = {}) => decodeJwt((await mintWith({ ...env, ...extra }, ['--org', 'org_a', ...argv])).stdout.trim()).exp;

  test.each<[string, number]>([
    ['60', 60],
    ['90s', 90],
    ['15m', 900],
    ['1h', 3600],
  ])('--ttl %s lives %i seconds', async (ttl, seconds) => {
    await expect(exp(['--ttl', ttl])).resolves.toBe(NOW + seconds);
  });

  test('TOKEN_TTL is the default lifetime, and TOKEN_MAX_TTL raises the limit', async () => {
    await expect(exp([], { TOKEN_TTL: '10m' })).resolves.toBe(NOW + 600);
    await expect(exp(['--ttl', '1d'], { TOKEN_MAX_TTL: '1d' })).resolves.toBe(NOW + 86400);
  });

  test.each<[string, string[], Record<string, string>, string]>([
    ['shorter than 60 s', ['--ttl', '59'], {}, '--ttl must be at least 60 seconds'],
    ['longer than TOKEN_MAX_TTL (1h default)', ['--ttl', '3601'], {}, '--ttl must be at most 3600 seconds (TOKEN_MAX_TTL)'],
    ['longer than a lowered TOKEN_MAX_TTL', ['--ttl', '31m'], { TOKEN_MAX_TTL: '30m', TOKEN_TTL: '5m' }, '--ttl must be at most 1800 seconds (TOKEN_MAX_TTL)'],
  ])('refuses a lifetime %s, never shortening it (exit 1)', async (_name, argv, extra, message) => {
    await expect(mintWith({ ...env, ...extra }, ['--org', 'org_a', ...argv])).resolves.toEqual({ code: 1, stdout: '', stderr: `tokenvend mint: ${message}\n` });
  });
});

describe('mint: configuration errors are one line naming the variable, never the value', () => {
  const secret = 'hunter2-is-not-a-key';
  test.each<[string, Record<string, string>, string]>([
    ['no key', {}, 'PRIVATE_KEY: is required (or PRIVATE_KEY_FILE, or SIGNING_KEYS_FILE)'],
    ['an empty key', { PRIVATE_KEY: '' }, 'PRIVATE_KEY: is required (or PRIVATE_KEY_FILE, or SIGNING_KEYS_FILE)'],
    ['a missing key set file', { SIGNING_KEYS_FILE: '/nonexistent/keys.json' }, 'SIGNING_KEYS_FILE: cannot read the file /nonexistent/keys.json (ENOENT)'],
    ['both key variables', { PRIVATE_KEY: p256Key().pkcs8, PRIVATE_KEY_FILE: '/tmp/key.pem' }, 'PRIVATE_KEY: and PRIVATE_KEY_FILE are exclusive; set one'],
    ['a missing key file', { PRIVATE_KEY_FILE: '/nonexistent/key.pem' }, 'PRIVATE_KEY_FILE: cannot read the file /nonexistent/key.pem (ENOENT)'],
    ['a short HMAC secret', { PRIVATE_KEY: secret }, 'PRIVATE_KEY: is an HMAC secret of 20 bytes; HS256 needs at least 32'],
    ['a bad PEM', { PRIVATE_KEY: `-----BEGIN PRIVATE KEY-----\n${secret}\n-----END PRIVATE KEY-----` }, 'PRIVATE_KEY: is a "PRIVATE KEY" PEM that cannot be read'],
    ['two private keys', { PRIVATE_KEY: `${p256Key().pkcs8}-----BEGIN PRIVATE KEY-----\n${secret}\n-----END PRIVATE KEY-----` }, 'PRIVATE_KEY: holds 2 private keys; give exactly one (several keys, each with its own kid, go in SIGNING_KEYS_FILE: see "Key rotation" in the README)'],
    ['a mismatching SIGNING_ALG', { PRIVATE_KEY: p256Key().pkcs8, SIGNING_ALG: 'RS256' }, 'SIGNING_ALG: RS256 does not suit the EC key on P-256 (it supports ES256)'],
    ['an unknown SIGNING_ALG', { PRIVATE_KEY: p256Key().pkcs8, SIGNING_ALG: 'none' }, 'SIGNING_ALG: must be a JWS algorithm such as RS256, PS256, ES256, EdDSA or HS256'],
    ['a bad KEY_ID', { PRIVATE_KEY: p256Key().pkcs8, KEY_ID: 'has space' }, 'KEY_ID: must be 1-128 printable ASCII characters without spaces'],
    ['a bad TOKEN_TTL', { PRIVATE_KEY: p256Key().pkcs8, TOKEN_TTL: 'forever' }, 'TOKEN_TTL: must be whole seconds or a duration such as "90s", "15m", "1h"'],
    ['TOKEN_MAX_TTL under 60 s', { PRIVATE_KEY: p256Key().pkcs8, TOKEN_MAX_TTL: '30' }, 'TOKEN_MAX_TTL: must be at least 60 seconds'],
    ['TOKEN_TTL over TOKEN_MAX_TTL', { PRIVATE_KEY: p256Key().pkcs8, TOKEN_TTL: '2h' }, 'TOKEN_TTL: must not exceed TOKEN_MAX_TTL'],
  ])('%s', async (_name, env, message) => {
    const { code, stdout, stderr } = await mintWith(env, ['--org', 'org_a']);
    expect({ code, stdout, stderr }).toEqual({ code: 1, stdout: '', stderr: `tokenvend mint: ${message}\n` });
    expect(stderr).not.toContain(secret);
    expect(stderr).not.toContain('BEGIN');
  });
});

describe('mint: usage errors exit 2', () => {
  const env = { PRIVATE_KEY: p256Key().pkcs8 };
  test.each<[string, string[], string]>([
    ['no org and no ORG_ID', [], '--org is required (ORG_ID is not set)'],
    ['a bad org', ['--org', 'org a'], '--org must be 1-128 characters from A-Z a-z 0-9 . _ : @ -'],
    ['a malformed ttl', ['--org', 'org_a', '--ttl', '1.5h'], '--ttl must be whole seconds or a duration such as "90s", "15m", "1h"'],
    ['an empty audience', ['--org', 'org_a', '--audience='], '--audience must not be empty'],
    ['an argument', ['org_a'], 'takes no arguments'],
    ['an unknown option', ['--org', 'org_a', '--kid', 'x'], 'unknown option --kid'],
  ])('%s', async (_name, argv, message) => {
    await expect(mintWith(env, argv)).resolves.toEqual({ code: 2, stdout: '', stderr: `tokenvend mint: ${message}\n${USAGE}` });
  });
});
