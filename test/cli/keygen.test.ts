import { createPrivateKey, createPublicKey, type JsonWebKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { keygen } from '../../src/cli/commands/keygen.js';
import { loadSigningKey } from '../../src/keys/load-signing-keys.js';
import { run } from './helpers/memory-io.js';

const ALGS = ['ES256', 'ES384', 'ES512', 'RS256', 'PS256', 'EdDSA'] as const;
const KEY_SHAPE: Record<(typeof ALGS)[number], { type: string; detail: Record<string, unknown> }> = {
  ES256: { type: 'ec', detail: { namedCurve: 'prime256v1' } },
  ES384: { type: 'ec', detail: { namedCurve: 'secp384r1' } },
  ES512: { type: 'ec', detail: { namedCurve: 'secp521r1' } },
  RS256: { type: 'rsa', detail: { modulusLength: 3072 } },
  PS256: { type: 'rsa', detail: { modulusLength: 3072 } },
  EdDSA: { type: 'ed25519', detail: {} },
};

const load = (material: string, signingAlg?: string) => loadSigningKey({ key: { variable: 'PRIVATE_KEY', material }, signingAlg, keyId: undefined });
/** The thumbprint of the key's public part, computed independently of the CLI. */
async function publicThumbprint(material: string): Promise<string> {
  const privateKey = material.startsWith('{') ? createPrivateKey({ key: JSON.parse(material) as JsonWebKey, format: 'jwk' }) : createPrivateKey(material);
  return calculateJwkThumbprint(createPublicKey(privateKey).export({ format: 'jwk' }) as JWK, 'sha256');
}

describe('keygen: PKCS#8 PEM (the default)', () => {
  test.each(ALGS)('%s: a PKCS#8 private key the service loads with that algorithm', async (alg) => {
    const { code, stdout, stderr } = await run(keygen, ['--alg', alg]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END PRIVATE KEY-----\n$/);
    const key = createPrivateKey(stdout);
    expect(key.asymmetricKeyType).toBe(KEY_SHAPE[alg].type);
    expect(key.asymmetricKeyDetails).toMatchObject(KEY_SHAPE[alg].detail);

    // A PEM does not record the algorithm: only PS256 needs SIGNING_ALG, and stderr says so.
    const needsSigningAlg = alg === 'PS256';
    expect(stderr).toBe(needsSigningAlg ? 'note: a PEM does not record its algorithm; set SIGNING_ALG=PS256 with this key (or use --jwk)\n' : '');
    const loaded = await load(stdout, needsSigningAlg ? alg : undefined);
    expect(loaded.alg).toBe(alg);
    expect(loaded.kid).toBe(await publicThumbprint(stdout));
  });

  test('ES256 is the default', async () => {
    const { code, stdout } = await run(keygen, []);
    expect(code).toBe(0);
    expect((await load(stdout)).alg).toBe('ES256');
  });

  test('every run makes a new key', async () => {
    const [a, b] = await Promise.all([run(keygen, []), run(keygen, [])]);
    expect(a.stdout).not.toBe(b.stdout);
  });
});

describe('keygen --jwk', () => {
  test.each(ALGS)('%s: a private JWK with alg and the RFC 7638 thumbprint as kid, loaded without SIGNING_ALG or KEY_ID', async (alg) => {
    const { code, stdout, stderr } = await run(keygen, ['--alg', alg, '--jwk']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout.endsWith('\n')).toBe(true);
    expect(stdout.trimEnd()).not.toContain('\n');
    const jwk = JSON.parse(stdout) as JWK;
    expect(jwk).toMatchObject({ alg, use: 'sig', kty: KEY_SHAPE[alg].type === 'rsa' ? 'RSA' : KEY_SHAPE[alg].type === 'ec' ? 'EC' : 'OKP' });
    expect(typeof jwk.d).toBe('string');
    const thumbprint = await calculateJwkThumbprint(jwk, 'sha256');
    expect(jwk.kid).toBe(thumbprint);
    expect(jwk.kid).toBe(await publicThumbprint(stdout));

    const loaded = await load(stdout);
    expect(loaded.alg).toBe(alg);
    expect(loaded.kid).toBe(thumbprint);
    expect(loaded.publicJwk).toMatchObject({ kid: thumbprint, alg });
    expect(loaded.publicJwk).not.toHaveProperty('d');
  });

  test('--kid sets the kid, which the service then uses', async () => {
    const { code, stdout } = await run(keygen, ['--jwk', '--kid', 'signing-2025-01']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ kid: 'signing-2025-01', alg: 'ES256' });
    expect((await load(stdout)).kid).toBe('signing-2025-01');
  });
});

describe('keygen --out', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tokenvend-keygen-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('writes a new file readable by its owner only, and nothing to stdout', async () => {
    const path = join(dir, 'key.pem');
    const { code, stdout, stderr } = await run(keygen, ['--alg', 'EdDSA', '--out', path]);
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect((await load(readFileSync(path, 'utf8'))).alg).toBe('EdDSA');
  });

  test('never overwrites an existing file', async () => {
    const path = join(dir, 'key.pem');
    writeFileSync(path, 'precious');
    const { code, stdout, stderr } = await run(keygen, ['--out', path]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(`tokenvend keygen: --out: ${path} exists; choose a new file name\n`);
    expect(readFileSync(path, 'utf8')).toBe('precious');
  });
});

describe('keygen: usage errors exit 2 and print nothing on stdout', () => {
  test.each<[string, string[], string]>([
    ['an HMAC algorithm', ['--alg', 'HS256'], '--alg must be one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA'],
    ['an unknown algorithm', ['--alg', 'none'], '--alg must be one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA'],
    ['--kid without --jwk', ['--kid', 'k1'], '--kid needs --jwk (a PEM cannot carry a kid; set KEY_ID instead)'],
    ['a kid with spaces', ['--jwk', '--kid', 'my key'], '--kid must be 1-128 printable ASCII characters without spaces'],
    ['an argument', ['ES256'], 'takes no arguments'],
    ['an unknown option', ['--format=jwk'], 'unknown option --format'],
    ['a missing value', ['--alg'], '--alg needs a value'],
    ['a value for a flag', ['--jwk=yes'], '--jwk does not take a value'],
  ])('%s', async (_name, argv, message) => {
    const { code, stdout, stderr } = await run(keygen, argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`tokenvend keygen: ${message}\nUsage: tokenvend keygen [--alg ALG] [--jwk [--kid KID]] [--out FILE]\nRun "tokenvend keygen --help" for details.\n`);
  });
});
