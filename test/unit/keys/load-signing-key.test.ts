import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadSigningKey } from '../../../src/keys/load-signing-keys.js';
import { certificatePem } from '../../support/certificates.js';
import { ed25519Key, hmacSecret, p256Key, p384Key, p521Key, privateJwk, rsaKey, traditionalPem, type TestKey } from '../../support/keys.js';

const load = (material: string, options: { signingAlg?: string; keyId?: string; variable?: 'PRIVATE_KEY' | 'PRIVATE_KEY_FILE' } = {}) =>
  loadSigningKey({ key: { variable: options.variable ?? 'PRIVATE_KEY', material }, signingAlg: options.signingAlg, keyId: options.keyId });

async function failure(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('loadSigningKey: accepted forms', () => {
  it.each<[string, () => string, string, () => TestKey]>([
    ['RSA PKCS#8', () => rsaKey().pkcs8, 'RS256', rsaKey],
    ['RSA PKCS#1', () => traditionalPem(rsaKey(), 'pkcs1'), 'RS256', rsaKey],
    ['P-256 PKCS#8', () => p256Key().pkcs8, 'ES256', p256Key],
    ['P-256 SEC1', () => traditionalPem(p256Key(), 'sec1'), 'ES256', p256Key],
    ['P-384 SEC1', () => traditionalPem(p384Key(), 'sec1'), 'ES384', p384Key],
    ['P-521 PKCS#8', () => p521Key().pkcs8, 'ES512', p521Key],
    ['Ed25519 PKCS#8', () => ed25519Key().pkcs8, 'EdDSA', ed25519Key],
    ['P-256 private JWK', () => privateJwk(p256Key()), 'ES256', p256Key],
    ['RSA private JWK', () => privateJwk(rsaKey()), 'RS256', rsaKey],
    ['Ed25519 private JWK', () => privateJwk(ed25519Key()), 'EdDSA', ed25519Key],
    ['a PEM with literal \\n escapes (.env style)', () => p256Key().pkcs8.trim().replace(/\n/g, '\\n'), 'ES256', p256Key],
    ['a PEM with surrounding whitespace', () => `\n  ${p256Key().pkcs8}\n\n`, 'ES256', p256Key],
  ])('%s → %s, kid = RFC 7638 thumbprint, public JWK only', async (_name, material, alg, key) => {
    const signingKey = await load(material());
    const publicJwk = key().publicKey.export({ format: 'jwk' }) as JWK;
    const thumbprint = await calculateJwkThumbprint(publicJwk, 'sha256');
    expect(signingKey.alg).toBe(alg);
    expect(signingKey.kid).toBe(thumbprint);
    expect(signingKey.publicJwk).toEqual({ ...publicJwk, kid: thumbprint, alg, use: 'sig' });
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(signingKey.publicJwk).not.toHaveProperty(member);
    expect(JSON.parse(Buffer.from(signingKey.encodedHeader, 'base64url').toString())).toEqual({ alg, typ: 'JWT', kid: thumbprint });
  });

  it('takes SIGNING_ALG when the key supports it', async () => {
    expect((await load(rsaKey().pkcs8, { signingAlg: 'PS256' })).alg).toBe('PS256');
    expect((await load(rsaKey().pkcs8, { signingAlg: 'RS512' })).alg).toBe('RS512');
  });

  it('takes KEY_ID over the thumbprint, and a JWK\'s own kid and alg', async () => {
    expect((await load(p256Key().pkcs8, { keyId: 'k-2026' })).kid).toBe('k-2026');
    const fromJwk = await load(privateJwk(rsaKey(), { kid: 'jwk-kid', alg: 'PS384' }));
    expect([fromJwk.kid, fromJwk.alg]).toEqual(['jwk-kid', 'PS384']);
  });

  it('an HMAC secret: HS256, no kid, nothing to publish; oct JWKs too', async () => {
    const plain = await load(hmacSecret(32));
    expect([plain.alg, plain.kid, plain.publicJwk]).toEqual(['HS256', undefined, undefined]);
    expect((await load(hmacSecret(64), { signingAlg: 'HS512' })).alg).toBe('HS512');
    const oct = await load(JSON.stringify({ kty: 'oct', k: Buffer.from(hmacSecret(32)).toString('base64url'), kid: 'h1' }));
    expect([oct.alg, oct.kid]).toEqual(['HS256', 'h1']);
  });
});

describe('loadSigningKey: an `openssl ecparam -name prime256v1 -genkey` file', () => {
  // What that command writes: the curve's OID 1.2.840.10045.3.1.7 (RFC 5480 §2.1.1.1) as an
  // EC PARAMETERS block (base64 "BggqhkjOPQMBBw=="), then the key in SEC1 form (RFC 5915).
  const parameters = `-----BEGIN EC PARAMETERS-----\n${Buffer.from('06082a8648ce3d030107', 'hex').toString('base64')}\n-----END EC PARAMETERS-----\n`;
  const REQUIRED = 'a private key (BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY) is required';

  it.each<[string, () => string]>([
    ['as written', () => `${parameters}${traditionalPem(p256Key(), 'sec1')}`],
    ['on one line with literal \\n escapes (.env)', () => `${parameters}${traditionalPem(p256Key(), 'sec1')}`.trim().replace(/\n/g, '\\n')],
  ])('%s: the EC PARAMETERS block is skipped, the EC PRIVATE KEY after it signs tokens its published JWK verifies', async (_name, material) => {
    const signingKey = await load(material());
    const publicJwk = p256Key().publicKey.export({ format: 'jwk' }) as JWK;
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    expect(signingKey.publicJwk).toEqual({ ...publicJwk, kid, alg: 'ES256', use: 'sig' });
    const claims = { orgId: 'org_a', iat: 1_750_000_000, exp: 1_750_000_900 };
    const signingInput = `${signingKey.encodedHeader}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const token = `${signingInput}.${await signingKey.sign(signingInput)}`;
    const verified = await jwtVerify(token, createLocalJWKSet({ keys: [signingKey.publicJwk as JWK] }), { currentDate: new Date(1_750_000_100_000) });
    expect(verified.protectedHeader).toEqual({ alg: 'ES256', typ: 'JWT', kid });
    expect(verified.payload).toEqual(claims);
  });

  it('a value that is only the EC PARAMETERS block is refused, naming the variable', async () => {
    expect((await failure(load(parameters))).message).toBe(`PRIVATE_KEY: is a PEM "EC PARAMETERS"; ${REQUIRED}`);
    expect((await failure(load(parameters, { variable: 'PRIVATE_KEY_FILE' }))).message).toBe(`PRIVATE_KEY_FILE: is a PEM "EC PARAMETERS"; ${REQUIRED}`);
  });

  it('skipping it changes no other rule: a public key after it, quotes around it or text before it are refused as before', async () => {
    const spki = p256Key().publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const file = `${parameters}${traditionalPem(p256Key(), 'sec1')}`;
    expect((await failure(load(`${parameters}${spki}`))).message).toBe(`PRIVATE_KEY: is a PEM "PUBLIC KEY"; ${REQUIRED}`);
    expect((await failure(load(`"${file}"`))).message).toBe('PRIVATE_KEY: is wrapped in quotes; remove them (a .env file or a shell kept them as part of the value)');
    expect((await failure(load(`PRIVATE_KEY=${file}`))).message).toBe(
      'PRIVATE_KEY: contains a PEM "-----BEGIN" or "-----END" line but does not start with "-----BEGIN" (stray quotes or text before it?)',
    );
  });
});

describe('loadSigningKey: one key per value', () => {
  const SEVERAL = 'give exactly one (several keys, each with its own kid, go in SIGNING_KEYS_FILE: see "Key rotation" in the README)';
  const spki = (key: { publicKey: KeyObject }) => key.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  /** Every base64 line of the PEMs: none may reach a message. */
  const bodyLines = (...pems: string[]) => pems.flatMap((pem) => pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----')));
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const chain = (key: { publicKey: KeyObject }) => `${certificatePem(key.publicKey, ca.privateKey, 'tokenvend', 'test CA')}${certificatePem(ca.publicKey, ca.privateKey, 'test CA', 'test CA')}`;

  // The attack on the operator: during a rotation the old and the next key are pasted into one
  // value; the first signed and the second was silently ignored.
  it.each<[string, () => string, 'PRIVATE_KEY' | 'PRIVATE_KEY_FILE', string]>([
    ['the old and the next key pasted together', () => `${p256Key().pkcs8}${rsaKey().pkcs8}`, 'PRIVATE_KEY', `holds 2 private keys; ${SEVERAL}`],
    ['the same in PRIVATE_KEY_FILE', () => `${p256Key().pkcs8}\n${rsaKey().pkcs8}`, 'PRIVATE_KEY_FILE', `holds 2 private keys; ${SEVERAL}`],
    ['a SEC1 and a PKCS#1 key', () => `${traditionalPem(p256Key(), 'sec1')}${traditionalPem(rsaKey(), 'pkcs1')}`, 'PRIVATE_KEY', `holds 2 private keys; ${SEVERAL}`],
    ['the same key twice', () => `${p256Key().pkcs8}${p256Key().pkcs8}`, 'PRIVATE_KEY', `holds 2 private keys; ${SEVERAL}`],
    ['three keys', () => `${p256Key().pkcs8}${rsaKey().pkcs8}${ed25519Key().pkcs8}`, 'PRIVATE_KEY', `holds 3 private keys; ${SEVERAL}`],
    ['two keys on one line with .env \\n escapes', () => `${p256Key().pkcs8}${rsaKey().pkcs8}`.trim().replace(/\n/g, '\\n'), 'PRIVATE_KEY', `holds 2 private keys; ${SEVERAL}`],
    ['a second key cut short', () => `${p256Key().pkcs8}${rsaKey().pkcs8.slice(0, 200)}`, 'PRIVATE_KEY', `holds 2 private keys; ${SEVERAL}`],
    ['a key, then two public keys', () => `${p256Key().pkcs8}${spki(p256Key())}${spki(rsaKey())}`, 'PRIVATE_KEY_FILE', `holds 2 public keys; ${SEVERAL}`],
  ])('%s is refused, naming the variable and never the material', async (_name, material, variable, problem) => {
    const value = material();
    const error = await failure(load(value, { variable }));
    expect(error.message).toBe(`${variable}: ${problem}`);
    expect(error.variable).toBe(variable);
    for (const line of bodyLines(p256Key().pkcs8, rsaKey().pkcs8, ed25519Key().pkcs8, spki(p256Key()), spki(rsaKey()))) expect(error.message).not.toContain(line);
    expect(error.message).not.toContain('-----');
  });

  it.each<[string, () => string]>([
    ['a key followed by its certificate (a combined PEM)', () => `${p256Key().pkcs8}${certificatePem(p256Key().publicKey, ca.privateKey, 'tokenvend', 'test CA')}`],
    ['a key followed by its certificate chain, leaf first', () => `${traditionalPem(p256Key(), 'sec1')}${chain(p256Key())}`],
    ['the same on one line with .env \\n escapes', () => `${p256Key().pkcs8}${chain(p256Key())}`.trim().replace(/\n/g, '\\n')],
    ['a key and its public key', () => `${p256Key().pkcs8}${spki(p256Key())}`],
  ])('still one key: %s signs with that key', async (_name, material) => {
    const signingKey = await load(material());
    const publicJwk = p256Key().publicKey.export({ format: 'jwk' }) as JWK;
    expect(signingKey.publicJwk).toEqual({ ...publicJwk, kid: await calculateJwkThumbprint(publicJwk, 'sha256'), alg: 'ES256', use: 'sig' });
  });

  it('a certificate chain alone is refused as a certificate is', async () => {
    expect((await failure(load(chain(p256Key())))).message).toBe('PRIVATE_KEY: is a PEM "CERTIFICATE"; a private key (BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY) is required');
  });

  it('\\n escapes are line breaks only in a value on one line (.env), as in `verify --key` and @tokenvend/verify', async () => {
    const escaped = p256Key().pkcs8.trim().replace(/\n/g, '\\n');
    expect((await load(`\n${escaped}\n`)).alg).toBe('ES256');
    // Text with real lines is read as is: its escapes are not guessed to be line breaks.
    expect((await failure(load(`${escaped}\n# the signing key, rotated 2026-11`))).message).toBe('PRIVATE_KEY: is a "PRIVATE KEY" PEM that cannot be read');
  });
});

describe('loadSigningKey: key-shaped mistakes are refused, not taken as an HMAC secret', () => {
  const body = (pem: string) => pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----'));
  const PATH = 'PRIVATE_KEY: looks like a file path, not key material; to read the key from a file, set PRIVATE_KEY_FILE to that path instead';
  const QUOTES = 'PRIVATE_KEY: is wrapped in quotes; remove them (a .env file or a shell kept them as part of the value)';
  const ARMOUR = 'PRIVATE_KEY: contains a PEM "-----BEGIN" or "-----END" line but does not start with "-----BEGIN" (stray quotes or text before it?)';
  const JWK = 'PRIVATE_KEY: looks like part of a JWK but does not start with "{" (stray quotes or text before it?)';
  const DER = 'PRIVATE_KEY: is a base64 DER key without its PEM lines; add the "-----BEGIN PRIVATE KEY-----" and "-----END PRIVATE KEY-----" lines (or use PRIVATE_KEY_FILE)';

  it.each<[string, () => string, string]>([
    ['an absolute path', () => '/etc/tokenvend/signing-key.pem', PATH],
    ['a path without an extension', () => '/run/secrets/tokenvend-signing-key-2026', PATH],
    ['a relative path', () => './secrets/tokenvend-signing-key.pem', PATH],
    ['a home path', () => '~/keys/tokenvend/signing-key.json', PATH],
    ['a bare file name', () => 'tokenvend-production-signing-key.pem', PATH],
    ['a Windows path', () => 'C:\\keys\\tokenvend\\signing-key.pem', PATH],
    ['a PEM in double quotes with literal \\n (.env)', () => `"${p256Key().pkcs8.trim().replace(/\n/g, '\\n')}"`, QUOTES],
    ['a PEM in single quotes', () => `'${p256Key().pkcs8.trim()}'`, QUOTES],
    ['a secret in quotes', () => `"${hmacSecret(40)}"`, QUOTES],
    ['a PEM after a stray quote', () => `"${p256Key().pkcs8.trim()}`, ARMOUR],
    ['a whole .env line', () => `PRIVATE_KEY=${p256Key().pkcs8.trim()}`, ARMOUR],
    ['a JWK after a stray quote', () => `'${privateJwk(p256Key())}`, JWK],
    ['a JWK without its opening brace', () => privateJwk(p256Key()).slice(1), JWK],
    ['a PKCS#8 EC body without BEGIN/END', () => body(p256Key().pkcs8).join(''), DER],
    ['a PKCS#8 RSA body, with its line breaks', () => body(rsaKey().pkcs8).join('\n'), DER],
    ['a SEC1 EC body', () => body(traditionalPem(p256Key(), 'sec1')).join('\n'), DER],
    ['a base64url DER key', () => (p256Key().privateKey.export({ type: 'pkcs8', format: 'der' }) as Buffer).toString('base64url'), DER],
  ])('%s', async (_name, material, message) => {
    const value = material();
    const error = await failure(load(value));
    expect(error.message).toBe(message);
    expect(error.message).not.toContain(value.slice(2, 30));
  });

  it.each<[string, string]>([
    ['a UUID (a Vapi private key)', '3f8e1c2a-7b4d-4e6f-9a1b-2c3d4e5f6a7b'],
    ['base64 from `openssl rand -base64 32`', 'q8Zk3+T0v9wHnQ2yL1sXcA7bEoR4uJ6fMpD5gKiVhYw='],
    ['base64 that starts with "/"', '/q8Zk3+T0v9wHnQ2yL1sXcA7bEoR4uJ6fMpD5gKiVhY='],
    ['hex from `openssl rand -hex 32`', 'a3f1c9e07b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d2f4a'],
    ['a passphrase with punctuation', 'correct horse battery staple, said the admin!'],
  ])('keeps plain secrets working: %s', async (_name, secret) => {
    const key = await load(secret);
    expect([key.alg, key.publicJwk]).toEqual(['HS256', undefined]);
  });
});

describe('loadSigningKey: refusals name the variable and never echo the material', () => {
  const rsa1024 = () => generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const secp256k1 = () => generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const encrypted = () => p256Key().privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string;
  const publicPem = () => p256Key().publicKey.export({ type: 'spki', format: 'pem' }) as string;

  it.each<[string, () => string, Record<string, string>, string]>([
    ['a short HMAC secret', () => 'too-short-secret', {}, 'PRIVATE_KEY: is an HMAC secret of 16 bytes; HS256 needs at least 32'],
    ['an HS512 secret under 64 bytes', () => hmacSecret(40), { signingAlg: 'HS512' }, 'PRIVATE_KEY: is an HMAC secret of 40 bytes; HS512 needs at least 64'],
    ['an RSA key under 2048 bits', rsa1024, {}, 'PRIVATE_KEY: is a 1024-bit RSA key; at least 2048 bits are required'],
    ['an unsupported curve', secp256k1, {}, 'PRIVATE_KEY: is an unsupported EC key on secp256k1 (use RSA, P-256, P-384, P-521 or Ed25519)'],
    ['an encrypted PEM', encrypted, {}, 'PRIVATE_KEY: is an encrypted PEM; provide the key unencrypted (mount it as a secret file)'],
    ['a public key PEM', publicPem, {}, 'PRIVATE_KEY: is a PEM "PUBLIC KEY"; a private key (BEGIN PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY) is required'],
    ['a truncated PEM', () => p256Key().pkcs8.slice(0, 80) + '\n-----END PRIVATE KEY-----', {}, 'PRIVATE_KEY: is a "PRIVATE KEY" PEM that cannot be read'],
    ['broken JSON', () => '{"kty":"EC",', {}, 'PRIVATE_KEY: looks like a JWK but is not valid JSON (line 1, column 13)'],
    ['a public JWK', () => JSON.stringify(p256Key().publicKey.export({ format: 'jwk' })), {}, 'PRIVATE_KEY: is a public JWK; a private key (with "d") is required'],
    ['a JWK of unknown kty', () => '{"kty":"XYZ","d":"a"}', {}, 'PRIVATE_KEY: JWK "kty" must be RSA, EC, OKP or oct'],
    ['a mismatching SIGNING_ALG', () => p256Key().pkcs8, { signingAlg: 'ES384' }, 'SIGNING_ALG: ES384 does not suit the EC key on P-256 (it supports ES256)'],
    ['an RSA alg for an EC key', () => p256Key().pkcs8, { signingAlg: 'RS256' }, 'SIGNING_ALG: RS256 does not suit the EC key on P-256 (it supports ES256)'],
    ['an asymmetric alg for a secret', () => hmacSecret(40), { signingAlg: 'ES256' }, 'SIGNING_ALG: ES256 does not suit an HMAC secret (use HS256, HS384 or HS512)'],
    ['a JWK whose own alg does not fit', () => privateJwk(p256Key(), { alg: 'RS256' }), {}, 'PRIVATE_KEY: RS256 does not suit the EC key on P-256 (it supports ES256)'],
  ])('%s', async (_name, material, options, message) => {
    const value = material();
    const error = await failure(load(value, options));
    expect(error.message).toBe(message);
    expect(error.message).not.toContain(value.length > 60 ? value.slice(30, 60) : value);
  });

  it('names PRIVATE_KEY_FILE when the key came from a file', async () => {
    expect((await failure(load('/etc/tokenvend/key.pem', { variable: 'PRIVATE_KEY_FILE' }))).variable).toBe('PRIVATE_KEY_FILE');
    expect((await failure(load('short', { variable: 'PRIVATE_KEY_FILE' }))).variable).toBe('PRIVATE_KEY_FILE');
  });

  it('demo mode generates an ephemeral ES256 key', async () => {
    const key = await loadSigningKey({ key: undefined, signingAlg: undefined, keyId: undefined });
    expect(key.alg).toBe('ES256');
    expect(key.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256' });
  });
});
