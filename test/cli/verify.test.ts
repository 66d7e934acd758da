import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, UnsecuredJWT, type JWK } from 'jose';
import { mint } from '../../src/cli/commands/mint.js';
import { verify } from '../../src/cli/commands/verify.js';
import { createKeyRing } from '../../src/keys/key-ring.js';
import { loadSigningKey } from '../../src/keys/load-signing-keys.js';
import { certificatePem } from '../support/certificates.js';
import { callersJson, testCaller } from '../support/callers.js';
import { ed25519Key, hmacSecret, p256Key, p384Key, privateJwk, rsaKey, traditionalPem, type TestKey } from '../support/keys.js';
import { freePort } from '../support/redis-server.js';
import { startService, type RunningService } from '../support/spawn-service.js';
import { requireBuiltCli } from './helpers/built-cli.js';
import { run } from './helpers/memory-io.js';
import { tamper } from './helpers/tokens.js';

const USAGE = 'Usage: tokenvend verify (TOKEN | -) (--jwks URL | --issuer URL | --key FILE | --secret FILE) [--audience AUD]... [--iss ISS]\nRun "tokenvend verify --help" for details.\n';
const ISSUER = 'https://tokens.example.com';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tokenvend-verify-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function keyFile(content: string): string {
  const path = join(dir, `key-${(files += 1)}`);
  writeFileSync(path, content);
  return path;
}

/** A token from `tokenvend mint` itself, with the service's settings. */
async function minted(privateKey: string, argv: string[] = [], env: Record<string, string> = {}, clock?: () => number): Promise<string> {
  const { code, stdout, stderr } = await run(mint, ['--org', 'org_a', ...argv], { env: { PRIVATE_KEY: privateKey, TOKEN_ISSUER: ISSUER, TOKEN_AUDIENCE: 'billing', ...env }, ...(clock && { clock }) });
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  return stdout.trim();
}

const spki = (key: TestKey) => key.publicKey.export({ type: 'spki', format: 'pem' }) as string;
const publicJwk = (key: TestKey, extra: Record<string, unknown> = {}) => JSON.stringify({ ...(key.publicKey.export({ format: 'jwk' }) as JWK), ...extra });

describe('verify --key: good tokens print their claims', () => {
  test.each<[string, () => TestKey, () => string]>([
    ['a private PKCS#8 PEM (its public part)', p256Key, () => p256Key().pkcs8],
    ['a public SPKI PEM', p256Key, () => spki(p256Key())],
    ['a public JWK', ed25519Key, () => publicJwk(ed25519Key())],
    ['a private JWK', p384Key, () => privateJwk(p384Key())],
    ['an RSA public PEM', rsaKey, () => spki(rsaKey())],
  ])('%s', async (_name, key, material) => {
    const token = await minted(key().pkcs8);
    const { code, stdout, stderr } = await run(verify, [token, '--key', keyFile(material()), '--audience', 'billing', '--iss', ISSUER]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const claims = JSON.parse(stdout) as Record<string, unknown>;
    expect(claims).toEqual({ orgId: 'org_a', iss: ISSUER, aud: 'billing', iat: expect.any(Number), exp: (claims.iat as number) + 3600, jti: expect.any(String) });
    expect(stdout).toBe(`${JSON.stringify(claims, null, 2)}\n`);
  });

  test('a JWKS document such as /.well-known/jwks.json picks the key by kid', async () => {
    const keys = await Promise.all([rsaKey(), p256Key()].map((key) => loadSigningKey({ key: { variable: 'PRIVATE_KEY', material: key.pkcs8 }, signingAlg: undefined, keyId: undefined })));
    const jwks = keyFile(createKeyRing(keys).jwks.body);
    for (const key of [rsaKey(), p256Key()]) {
      await expect(run(verify, [await minted(key.pkcs8), '--key', jwks])).resolves.toMatchObject({ code: 0, stderr: '' });
    }
  });

  test('a JWKS whose member carries another key\'s PEM is read as the JWKS (JSON first), not as that PEM', async () => {
    const key = await loadSigningKey({ key: { variable: 'PRIVATE_KEY', material: p256Key().pkcs8 }, signingAlg: undefined, keyId: undefined });
    const document = JSON.parse(createKeyRing([key]).jwks.body) as { keys: Array<Record<string, unknown>> };
    document.keys[0] = { ...document.keys[0], note: `rotated from:\n${spki(p384Key())}` };
    const jwks = keyFile(JSON.stringify(document));
    await expect(run(verify, [await minted(p256Key().pkcs8), '--key', jwks])).resolves.toMatchObject({ code: 0, stderr: '' });
    await expect(run(verify, [await minted(p384Key().pkcs8), '--key', jwks])).resolves.toMatchObject({ code: 1 });
  });

  test('an HMAC secret file verifies HS256 tokens with --secret, and an "oct" JWK with --key', async () => {
    const secret = hmacSecret(48);
    const token = await minted(secret);
    const { code, stdout } = await run(verify, [token, '--secret', keyFile(`${secret}\n`)]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ orgId: 'org_a' });
    const oct = JSON.stringify({ kty: 'oct', k: Buffer.from(secret).toString('base64url') });
    await expect(run(verify, [token, '--key', keyFile(oct)])).resolves.toMatchObject({ code: 0, stderr: '' });
  });

  test.each<[string, (pem: string) => string]>([
    ['comment lines', (pem) => `# the signing key of tokens.example.com\n# rotated 2026-11\n${pem}`],
    ['"openssl pkcs12" Bag Attributes headers', (pem) => `Bag Attributes\n    localKeyID: 01 02 03\n    friendlyName: tokenvend\nKey Attributes: <No Attributes>\n${pem}`],
    ['a certificate request before it', (pem) => `-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n${pem}`],
  ])('a PEM block is found anywhere in the file: %s', async (_name, wrap) => {
    const token = await minted(p256Key().pkcs8);
    for (const pem of [spki(p256Key()), p256Key().pkcs8]) {
      await expect(run(verify, [token, '--key', keyFile(wrap(pem))])).resolves.toMatchObject({ code: 0, stderr: '' });
    }
  });

  test('an "openssl ecparam -genkey" file: its EC PARAMETERS block is skipped for the EC PRIVATE KEY after it', async () => {
    // What `openssl ecparam -name prime256v1 -genkey` writes: the curve's OID 1.2.840.10045.3.1.7
    // (RFC 5480 §2.1.1.1) as an EC PARAMETERS block, then the key in SEC1 form (RFC 5915).
    const parameters = `-----BEGIN EC PARAMETERS-----\n${Buffer.from('06082a8648ce3d030107', 'hex').toString('base64')}\n-----END EC PARAMETERS-----\n`;
    const token = await minted(p256Key().pkcs8);
    await expect(run(verify, [token, '--key', keyFile(`${parameters}${traditionalPem(p256Key(), 'sec1')}`)])).resolves.toMatchObject({ code: 0, stderr: '' });
    await expect(run(verify, [token, '--key', keyFile(parameters)])).resolves.toEqual({
      code: 1,
      stdout: '',
      stderr: 'tokenvend verify: --key: is a PEM "EC PARAMETERS"; a public key, certificate or private key is required\n',
    });
  });

  test('a certificate chain, leaf first as TLS tools write it: the leaf verifies, the other certificates do not', async () => {
    const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const caPem = ca.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const chain = `${certificatePem(p256Key().publicKey, ca.privateKey, 'tokens.example.com', 'test CA')}${certificatePem(ca.publicKey, ca.privateKey, 'test CA', 'test CA')}`;
    for (const file of [chain, `${p256Key().pkcs8}${chain}`, `${traditionalPem(p256Key(), 'sec1')}${chain}`]) {
      await expect(run(verify, [await minted(p256Key().pkcs8), '--key', keyFile(file)])).resolves.toMatchObject({ code: 0, stderr: '' });
      await expect(run(verify, [await minted(caPem), '--key', keyFile(file)])).resolves.toEqual({
        code: 1,
        stdout: '',
        stderr: 'tokenvend verify: Token is invalid (ERR_JWS_SIGNATURE_VERIFICATION_FAILED) [ERR_TOKENVEND_TOKEN_INVALID]\n',
      });
    }
  });

  test('a PEM on one line with literal \\n escapes (.env), as the service reads PRIVATE_KEY and @tokenvend/verify its keys', async () => {
    const token = await minted(p256Key().pkcs8);
    for (const pem of [spki(p256Key()), p256Key().pkcs8]) {
      const line = pem.trim().replace(/\n/g, '\\n');
      for (const file of [line, `${line}\n`]) await expect(run(verify, [token, '--key', keyFile(file)])).resolves.toMatchObject({ code: 0, stderr: '' });
    }
    // Text with real lines is read as is: its escapes are not guessed to be line breaks.
    await expect(run(verify, [token, '--key', keyFile(`# the signing key\n${spki(p256Key()).trim().replace(/\n/g, '\\n')}\n`)])).resolves.toEqual({
      code: 1,
      stdout: '',
      stderr: 'tokenvend verify: --key: holds "-----BEGIN" but no complete PEM block\n',
    });
  });

  test('the token can come from stdin', async () => {
    const token = await minted(p256Key().pkcs8);
    await expect(run(verify, ['-', '--key', keyFile(spki(p256Key()))], { stdin: `${token}\n` })).resolves.toMatchObject({ code: 0, stderr: '' });
  });

  test('a token expired within the 30 s clock tolerance still verifies', async () => {
    const token = await minted(p256Key().pkcs8, ['--ttl', '60'], {}, () => Date.now() - 70_000);
    await expect(run(verify, [token, '--key', keyFile(spki(p256Key()))])).resolves.toMatchObject({ code: 0 });
  });
});

describe('verify --key: bad tokens exit 1 with one line saying why, never the token', () => {
  const fail = async (token: string, argv: string[], reason: string) => {
    const { code, stdout, stderr } = await run(verify, [token, ...argv]);
    expect({ code, stdout, stderr }).toEqual({ code: 1, stdout: '', stderr: `tokenvend verify: ${reason}\n` });
    expect(stderr).not.toContain(token.split('.')[1] ?? token);
  };

  test('a tampered signature', async () => {
    await fail(tamper(await minted(p256Key().pkcs8)), ['--key', keyFile(spki(p256Key()))], 'Token is invalid (ERR_JWS_SIGNATURE_VERIFICATION_FAILED) [ERR_TOKENVEND_TOKEN_INVALID]');
  });

  test('a tampered payload', async () => {
    const [header, , signature] = (await minted(p256Key().pkcs8)).split('.');
    const payload = Buffer.from(JSON.stringify({ orgId: 'org_admin', iat: 1, exp: 9_999_999_999, jti: 'x' })).toString('base64url');
    await fail(`${header}.${payload}.${signature}`, ['--key', keyFile(spki(p256Key()))], 'Token is invalid (ERR_JWS_SIGNATURE_VERIFICATION_FAILED) [ERR_TOKENVEND_TOKEN_INVALID]');
  });

  test('another key', async () => {
    await fail(await minted(p256Key().pkcs8), ['--key', keyFile(p384Key().pkcs8)], 'Token is invalid (ERR_JOSE_ALG_NOT_ALLOWED) [ERR_TOKENVEND_TOKEN_INVALID]');
  });

  test('an expired token', async () => {
    const token = await minted(p256Key().pkcs8, ['--ttl', '60'], {}, () => Date.now() - 2 * 3600_000);
    await fail(token, ['--key', keyFile(spki(p256Key()))], 'Token has expired [ERR_TOKENVEND_TOKEN_EXPIRED]');
  });

  test('the wrong audience', async () => {
    await fail(await minted(p256Key().pkcs8), ['--key', keyFile(spki(p256Key())), '--audience', 'reports'], 'Token claim "aud" is invalid [ERR_TOKENVEND_CLAIM_INVALID]');
  });

  test('any of several audiences is enough', async () => {
    await expect(run(verify, [await minted(p256Key().pkcs8), '--key', keyFile(spki(p256Key())), '--audience', 'reports', '--audience', 'billing'])).resolves.toMatchObject({ code: 0 });
  });

  test('the wrong issuer', async () => {
    await fail(await minted(p256Key().pkcs8), ['--key', keyFile(spki(p256Key())), '--iss', 'https://evil.example.com'], 'Token claim "iss" is invalid [ERR_TOKENVEND_CLAIM_INVALID]');
  });

  test('an HS256 token signed with the public key as secret (algorithm confusion)', async () => {
    const token = await new SignJWT({ orgId: 'org_a', jti: 'x' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(spki(p256Key())));
    await fail(token, ['--key', keyFile(spki(p256Key()))], 'Token is invalid (ERR_JOSE_ALG_NOT_ALLOWED) [ERR_TOKENVEND_TOKEN_INVALID]');
  });

  // The attack: a public key file with anything before its PEM block was taken as an HMAC secret,
  // so a token forged with the (public) file's bytes printed as valid.
  test.each<[string, (pem: string) => string]>([
    ['a comment line', (pem) => `# tokens.example.com\n${pem}`],
    ['Bag Attributes', (pem) => `Bag Attributes\n    localKeyID: 01 02 03\n${pem}`],
  ])('an HS256 token forged with the bytes of a public key file with %s', async (_name, wrap) => {
    const material = wrap(spki(p256Key()));
    for (const secret of [material, material.trim()]) {
      const token = await new SignJWT({ orgId: 'org_a', jti: 'x' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(secret));
      await fail(token, ['--key', keyFile(material)], 'Token is invalid (ERR_JOSE_ALG_NOT_ALLOWED) [ERR_TOKENVEND_TOKEN_INVALID]');
    }
  });

  test('an unsecured (alg "none") token', async () => {
    const token = new UnsecuredJWT({ orgId: 'org_a', jti: 'x' }).setIssuedAt().setExpirationTime('5m').encode();
    await fail(token, ['--key', keyFile(spki(p256Key()))], 'Token is invalid (ERR_JOSE_ALG_NOT_ALLOWED) [ERR_TOKENVEND_TOKEN_INVALID]');
  });

  test('a token without orgId', async () => {
    const token = await new SignJWT({ jti: 'x' }).setProtectedHeader({ alg: 'ES256' }).setIssuedAt().setExpirationTime('5m').sign(p256Key().privateKey);
    await fail(token, ['--key', keyFile(spki(p256Key()))], 'Token claim "orgId" is missing [ERR_TOKENVEND_CLAIM_INVALID]');
  });

  test('not a JWT', async () => {
    await fail('not-a-token', ['--key', keyFile(spki(p256Key()))], 'Token is invalid (ERR_JWS_INVALID) [ERR_TOKENVEND_TOKEN_INVALID]');
  });
});

describe('verify --key: unusable key files exit 1 without quoting the file', () => {
  const secretish = 'do-not-echo-me';
  test.each<[string, () => string, string]>([
    ['broken JSON', () => `{"kty":"EC","d":"${secretish}"`, '--key: looks like JSON but is not valid JSON (line 1, column 33)'],
    ['an unreadable PEM', () => `-----BEGIN PUBLIC KEY-----\n${secretish}\n-----END PUBLIC KEY-----\n`, '--key: is a "PUBLIC KEY" PEM that cannot be read'],
    ['a CSR', () => `-----BEGIN CERTIFICATE REQUEST-----\n${secretish}\n-----END CERTIFICATE REQUEST-----\n`, '--key: is a PEM "CERTIFICATE REQUEST"; a public key, certificate or private key is required'],
    ['a JWK whose alg does not suit it', () => publicJwk(p256Key(), { alg: 'RS256' }), '--key: RS256 does not suit the EC key on P-256 (it supports ES256)'],
    ['an empty file', () => '\n', '--key: is empty'],
    ['a plain secret', () => `${secretish}-and-more-bytes-to-be-a-32-byte-secret`, '--key: is neither a PEM nor a JWK or JWKS (an HMAC secret goes in --secret FILE)'],
    ['a BEGIN line without a block', () => `# ${secretish}\n-----BEGIN PUBLIC KEY-----\nMFkw${secretish}\n`, '--key: holds "-----BEGIN" but no complete PEM block'],
    ['a block that does not parse after a comment', () => `# ${secretish}\n-----BEGIN PUBLIC KEY-----\n${secretish}\n-----END PUBLIC KEY-----\n`, '--key: is a "PUBLIC KEY" PEM that cannot be read'],
  ])('%s', async (_name, material, message) => {
    const { code, stderr } = await run(verify, ['a.b.c', '--key', keyFile(material())]);
    expect({ code, stderr }).toEqual({ code: 1, stderr: `tokenvend verify: ${message}\n` });
    expect(stderr).not.toContain(secretish);
  });

  test.each<[string, () => string, string]>([
    ['a public key PEM', () => `# ${secretish}\n${spki(p256Key())}`, '--secret: looks like a PEM or JWK, not an HMAC secret (a key goes in --key FILE)'],
    ['a JWK', () => publicJwk(p256Key()), '--secret: looks like a PEM or JWK, not an HMAC secret (a key goes in --key FILE)'],
    ['a short secret', () => 'short-secret', '--secret: is an HMAC secret of 12 bytes; HS256 needs at least 32'],
  ])('--secret with %s', async (_name, material, message) => {
    const { code, stderr } = await run(verify, ['a.b.c', '--secret', keyFile(material())]);
    expect({ code, stderr }).toEqual({ code: 1, stderr: `tokenvend verify: ${message}\n` });
    expect(stderr).not.toContain(secretish);
  });

  // A key file holding the old and the next key: the first verified, the second was silently ignored.
  test.each<[string, () => string, string]>([
    ['two public keys', () => `${spki(p256Key())}${spki(rsaKey())}`, 'holds 2 public keys'],
    ['two public keys after a comment, one PKCS#1', () => `# old, then next\n${spki(p256Key())}${rsaKey().publicKey.export({ type: 'pkcs1', format: 'pem' }) as string}`, 'holds 2 public keys'],
    ['two private keys', () => `${p256Key().pkcs8}${traditionalPem(rsaKey(), 'pkcs1')}`, 'holds 2 private keys'],
    ['three private keys on one line with .env \\n escapes', () => `${p256Key().pkcs8}${rsaKey().pkcs8}${p384Key().pkcs8}`.trim().replace(/\n/g, '\\n'), 'holds 3 private keys'],
    ['a private key and two public keys', () => `${p256Key().pkcs8}${spki(p256Key())}${spki(rsaKey())}`, 'holds 2 public keys'],
  ])('%s are refused, naming --key and never the material', async (_name, material, problem) => {
    const { code, stdout, stderr } = await run(verify, [await minted(p256Key().pkcs8), '--key', keyFile(material())]);
    expect({ code, stdout, stderr }).toEqual({
      code: 1,
      stdout: '',
      stderr: `tokenvend verify: --key: ${problem}; give exactly one (several keys go in a JWKS file, such as /.well-known/jwks.json, or use --jwks URL)\n`,
    });
    for (const pem of [spki(p256Key()), spki(rsaKey()), p256Key().pkcs8, rsaKey().pkcs8, p384Key().pkcs8]) {
      for (const line of pem.split('\n').filter((text) => text !== '' && !text.startsWith('-----'))) expect(stderr).not.toContain(line);
    }
  });

  test('a missing file', async () => {
    await expect(run(verify, ['a.b.c', '--key', join(dir, 'nope.pem')])).resolves.toEqual({ code: 1, stdout: '', stderr: `tokenvend verify: --key: cannot read ${join(dir, 'nope.pem')} (ENOENT)\n` });
  });
});

describe('verify: usage errors exit 2', () => {
  test.each<[string, string[], string]>([
    ['no token', ['--key', 'k.pem'], 'the TOKEN (or - for stdin) is missing'],
    ['two tokens', ['a.b.c', 'd.e.f', '--key', 'k.pem'], 'takes one TOKEN'],
    ['no key source', ['a.b.c'], 'one of --jwks, --issuer, --key or --secret is required'],
    ['a key and a secret', ['a.b.c', '--key', 'k.pem', '--secret', 's'], '--key and --secret are exclusive; give one'],
    ['two key sources', ['a.b.c', '--key', 'k.pem', '--jwks', 'https://x.example/jwks'], '--jwks and --key are exclusive; give one'],
    ['--iss with --issuer', ['a.b.c', '--issuer', ISSUER, '--iss', ISSUER], '--iss cannot be combined with --issuer, which already requires iss to equal it'],
    ['a relative JWKS URL', ['a.b.c', '--jwks', '/jwks.json'], '--jwks must be an absolute http(s) URL'],
    ['a non-http JWKS URL', ['a.b.c', '--jwks', 'file:///etc/passwd'], '--jwks must be an absolute http(s) URL'],
    ['an issuer with a query', ['a.b.c', '--issuer', 'https://x.example/?a=1'], '--issuer must not contain a query or fragment (OpenID Connect Discovery §2)'],
    ['an empty audience', ['a.b.c', '--key', 'k.pem', '--audience='], '--audience must not be empty'],
    ['an unknown option', ['a.b.c', '--key', 'k.pem', '--alg', 'HS256'], 'unknown option --alg'],
  ])('%s', async (_name, argv, message) => {
    await expect(run(verify, argv)).resolves.toEqual({ code: 2, stdout: '', stderr: `tokenvend verify: ${message}\n${USAGE}` });
  });
});

describe('verify --jwks against the real service', () => {
  const caller = testCaller('web-backend', { orgs: ['org_a'] });
  const signing = p256Key();
  let service: RunningService;
  let jwksUri: string;

  beforeAll(async () => {
    requireBuiltCli();
    service = await startService({ NODE_ENV: 'production', HOST: '127.0.0.1', PRIVATE_KEY: signing.pkcs8, CALLERS: callersJson(caller), TOKEN_ISSUER: ISSUER, TOKEN_AUDIENCE: 'billing' });
    jwksUri = `${service.baseUrl}/.well-known/jwks.json`;
  });
  afterAll(async () => {
    await service?.stop();
  });

  async function requestToken(body: Record<string, unknown>): Promise<string> {
    const response = await fetch(`${service.baseUrl}/tokens`, { method: 'POST', headers: { authorization: `Bearer ${caller.key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status).toBe(201);
    return ((await response.json()) as { token: string }).token;
  }

  test('a token from POST /tokens verifies and prints its claims', async () => {
    const token = await requestToken({ orgId: 'org_a', expiresIn: '15m' });
    const { code, stdout, stderr } = await run(verify, [token, '--jwks', jwksUri, '--iss', ISSUER, '--audience', 'billing']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const claims = JSON.parse(stdout) as Record<string, number>;
    expect(claims).toEqual({ orgId: 'org_a', iss: ISSUER, aud: 'billing', iat: expect.any(Number), exp: (claims.iat as number) + 900, jti: expect.any(String) });
  });

  test('a token from tokenvend mint with the same key verifies against the service JWKS', async () => {
    const token = await minted(signing.pkcs8, ['--ttl', '5m']);
    await expect(run(verify, [token, '--jwks', jwksUri, '--iss', ISSUER])).resolves.toMatchObject({ code: 0, stderr: '' });
  });

  test('a tampered token fails', async () => {
    const token = tamper(await requestToken({ orgId: 'org_a' }));
    await expect(run(verify, [token, '--jwks', jwksUri])).resolves.toEqual({ code: 1, stdout: '', stderr: 'tokenvend verify: Token is invalid (ERR_JWS_SIGNATURE_VERIFICATION_FAILED) [ERR_TOKENVEND_TOKEN_INVALID]\n' });
  });

  test('a token of another key fails: its kid is not in the set', async () => {
    const token = await minted(ed25519Key().pkcs8);
    await expect(run(verify, [token, '--jwks', jwksUri])).resolves.toEqual({ code: 1, stdout: '', stderr: 'tokenvend verify: Token is invalid (ERR_JWKS_NO_MATCHING_KEY) [ERR_TOKENVEND_TOKEN_INVALID]\n' });
  });

  test('the wrong audience fails', async () => {
    const token = await requestToken({ orgId: 'org_a' });
    await expect(run(verify, [token, '--jwks', jwksUri, '--audience', 'reports'])).resolves.toMatchObject({ code: 1, stderr: 'tokenvend verify: Token claim "aud" is invalid [ERR_TOKENVEND_CLAIM_INVALID]\n' });
  });

  test('an unreachable JWKS is reported as unavailable, not as a bad token', async () => {
    const token = await requestToken({ orgId: 'org_a' });
    const { code, stderr } = await run(verify, [token, '--jwks', `${service.baseUrl}/nope.json`]);
    expect(code).toBe(1);
    expect(stderr).toBe('tokenvend verify: The JWKS could not be retrieved: Expected 200 OK from the JSON Web Key Set HTTP response [ERR_TOKENVEND_JWKS_UNAVAILABLE]\n');
  });
});

describe('verify --issuer discovers the JWKS of the real service', () => {
  const caller = testCaller('web-backend');
  let service: RunningService;
  let issuer: string;

  beforeAll(async () => {
    requireBuiltCli();
    const port = await freePort();
    issuer = `http://127.0.0.1:${port}`;
    service = await startService({ NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), PRIVATE_KEY: rsaKey().pkcs8, CALLERS: callersJson(caller), TOKEN_ISSUER: issuer });
  });
  afterAll(async () => {
    await service?.stop();
  });

  test('a token of that issuer verifies', async () => {
    const response = await fetch(`${issuer}/tokens`, { method: 'POST', headers: { authorization: `Bearer ${caller.key}`, 'content-type': 'application/json' }, body: '{"orgId":"org_a"}' });
    const { token } = (await response.json()) as { token: string };
    const { code, stdout, stderr } = await run(verify, [token, '--issuer', issuer]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(stdout)).toMatchObject({ orgId: 'org_a', iss: issuer });
  });

  test('a token naming another issuer fails even when signed by the same key', async () => {
    const token = await minted(rsaKey().pkcs8, [], { TOKEN_ISSUER: 'https://elsewhere.example.com' });
    await expect(run(verify, [token, '--issuer', issuer])).resolves.toEqual({ code: 1, stdout: '', stderr: 'tokenvend verify: Token claim "iss" is invalid [ERR_TOKENVEND_CLAIM_INVALID]\n' });
  });
});
