import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadSigningKey } from '../../../src/keys/load-signing-keys.js';
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
    ['broken JSON', () => '{"kty":"EC",', {}, 'PRIVATE_KEY: looks like a JWK but is not valid JSON'],
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
    expect((await failure(load('short', { variable: 'PRIVATE_KEY_FILE' }))).variable).toBe('PRIVATE_KEY_FILE');
  });

  it('demo mode generates an ephemeral ES256 key', async () => {
    const key = await loadSigningKey({ key: undefined, signingAlg: undefined, keyId: undefined });
    expect(key.alg).toBe('ES256');
    expect(key.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256' });
  });
});
