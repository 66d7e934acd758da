/** createVerifier({ keys }): PEM, JWK or JWKS without fetching; never HMAC, PEM blocks found anywhere, broken PEM refused. */
import { createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { exportJWK, exportPKCS8, SignJWT } from 'jose';
import { createVerifier, VerifierConfigError, type LocalKeys } from '../src/index.js';
import { parseVerifierOptions } from '../src/options.js';
import { certificatePem } from './helpers/certificates.js';
import { claims, createTestKey, mint, type TestKey } from './helpers/keys.js';
import { rejection } from './helpers/rejection.js';

let es256: TestKey;
let eddsa: TestKey;
let publicPem: string;
let privatePem: string;
let privateJwk: Record<string, unknown>;
let eddsaPrivatePem: string;
const eddsaPublicPem = () => KeyObject.from(eddsa.publicKey).export({ type: 'spki', format: 'pem' }) as string;

beforeAll(async () => {
  es256 = await createTestKey('ES256');
  eddsa = await createTestKey('EdDSA');
  // The test key's own material, in each form a consumer may hold it.
  publicPem = createPublicKey({ key: es256.jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
  privatePem = await exportPKCS8(es256.privateKey);
  privateJwk = { ...(await exportJWK(es256.privateKey)), kid: es256.kid };
  eddsaPrivatePem = await exportPKCS8(eddsa.privateKey);
});

const verifyWith = (keys: LocalKeys) => createVerifier({ keys });

describe('accepted forms', () => {
  test('a public PEM, and the same PEM after comment lines and an openssl pkcs12 "Bag Attributes" header', async () => {
    const token = await mint(es256);
    await expect(verifyWith(publicPem)(token)).resolves.toMatchObject({ orgId: 'org-a' });
    const wrapped = `# issuer key, rotated 2026-11\nBag Attributes\n    localKeyID: 01 02 03\nsubject=/CN=tokenvend\n${publicPem}\ntrailing text\n`;
    await expect(verifyWith(wrapped)(token)).resolves.toMatchObject({ orgId: 'org-a' });
  });

  test('a private PEM or a private JWK: only the public part is kept', async () => {
    const token = await mint(es256);
    await expect(verifyWith(privatePem)(token)).resolves.toMatchObject({ orgId: 'org-a' });
    await expect(verifyWith(privateJwk as LocalKeys)(token)).resolves.toMatchObject({ orgId: 'org-a' });
    for (const keys of [privatePem, privateJwk as LocalKeys, JSON.stringify(privateJwk)]) {
      const { keySource } = parseVerifierOptions({ keys });
      expect(JSON.stringify(keySource)).not.toMatch(/"d"/);
    }
  });

  test('a JWK Set whose member carries another key\'s PEM is read as the JWK Set, not as that PEM', async () => {
    // Review: the PEM was searched for first, so a note holding a PEM decided which key was trusted.
    const note = { ...es256.jwk, kid: es256.kid, note: `rotated from:\n${eddsaPublicPem()}` };
    const keys = JSON.stringify({ keys: [note] });
    await expect(verifyWith(keys)(await mint(es256))).resolves.toMatchObject({ orgId: 'org-a' });
    await expect(verifyWith(keys)(await mint(eddsa))).rejects.toThrow();
  });

  test('an "openssl ecparam -genkey" file: its EC PARAMETERS block is skipped for the EC PRIVATE KEY after it', async () => {
    // What `openssl ecparam -name prime256v1 -genkey` writes: the curve's OID 1.2.840.10045.3.1.7
    // (RFC 5480 §2.1.1.1) as an EC PARAMETERS block, then the key in SEC1 form (RFC 5915).
    const parameters = `-----BEGIN EC PARAMETERS-----\n${Buffer.from('06082a8648ce3d030107', 'hex').toString('base64')}\n-----END EC PARAMETERS-----\n`;
    const sec1 = KeyObject.from(es256.privateKey).export({ type: 'sec1', format: 'pem' }) as string;
    const token = await mint(es256);
    for (const keys of [`${parameters}${sec1}`, `${parameters}${publicPem}`]) {
      await expect(verifyWith(keys)(token)).resolves.toMatchObject({ orgId: 'org-a' });
      expect(JSON.stringify(parseVerifierOptions({ keys }).keySource)).not.toMatch(/"d"/);
    }
    // A parameters block with no key after it is still refused, naming the block.
    expect(() => verifyWith(parameters)).toThrow(/PEM block \(EC PARAMETERS\) that does not parse as a key or certificate/);
  });

  test('a PEM on one line with literal \\n escapes (.env), as the service reads PRIVATE_KEY and the CLI --key', async () => {
    const token = await mint(es256);
    for (const pem of [publicPem, privatePem]) {
      const line = pem.trim().replace(/\n/g, '\\n');
      expect(line).not.toContain('\n');
      for (const keys of [line, `${line}\n`]) await expect(verifyWith(keys)(token)).resolves.toMatchObject({ orgId: 'org-a' });
    }
    // Text with real lines is read as is: its escapes are not guessed to be line breaks.
    expect(() => verifyWith(`# issuer key\n${publicPem.trim().replace(/\n/g, '\\n')}`)).toThrow(/contains "-----BEGIN" but no complete PEM block/);
  });

  test('a certificate chain, leaf first as TLS tools write it: the leaf verifies, the issuer does not', async () => {
    const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const leaf = certificatePem(KeyObject.from(es256.publicKey), ca.privateKey, 'tokens.example.com', 'test CA');
    const chain = `${leaf}${certificatePem(ca.publicKey, ca.privateKey, 'test CA', 'test CA')}`;
    const forged = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: es256.kid }).sign(ca.privateKey);
    for (const keys of [chain, `${privatePem}${chain}`, chain.trim().replace(/\n/g, '\\n')]) {
      await expect(verifyWith(keys)(await mint(es256))).resolves.toMatchObject({ orgId: 'org-a' });
      expect((await rejection(verifyWith(keys)(forged), forged)).code).toBe('ERR_TOKENVEND_TOKEN_INVALID');
    }
  });

  test('a JWK Set, as an object or JSON text: the key is chosen by kid', async () => {
    const set = { keys: [es256.jwk, eddsa.jwk] };
    for (const keys of [set, JSON.stringify(set)]) {
      await expect(verifyWith(keys)(await mint(es256))).resolves.toMatchObject({ orgId: 'org-a' });
      await expect(verifyWith(keys)(await mint(eddsa))).resolves.toMatchObject({ orgId: 'org-a' });
    }
    const stranger = await createTestKey('ES256');
    const token = await mint(stranger);
    expect((await rejection(verifyWith(set)(token), token)).code).toBe('ERR_TOKENVEND_TOKEN_INVALID');
  });
});

describe('HMAC is never inferred', () => {
  test('the attack: a token forged with HS256 using the public key file as the secret is refused', async () => {
    const file = `# comment line\n${publicPem}`;
    const forged = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(file));
    const err = await rejection(verifyWith(file)(forged), forged);
    expect(err.code).toBe('ERR_TOKENVEND_TOKEN_INVALID');
  });

  test.each([
    ['a plain secret', 'a-shared-hmac-secret-of-at-least-32-bytes', /is neither a PEM block nor JSON .*HMAC secret is never inferred/],
    ['base64 key material without its BEGIN and END lines', 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE', /is neither a PEM block nor JSON/],
    ['an oct JWK', { kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA' }, /symmetric \(oct\) key: HMAC is not accepted/],
    ['a JWKS holding an oct key', { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }, /key 0 is a symmetric \(oct\) key/],
  ])('%s is refused at construction', (_case, keys, message) => {
    expect(() => verifyWith(keys as LocalKeys)).toThrow(VerifierConfigError);
    expect(() => verifyWith(keys as LocalKeys)).toThrow(message);
  });
});

describe('refused key text', () => {
  test.each([
    ['a PEM block whose body does not parse', '-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n', /PEM block \(PUBLIC KEY\) that does not parse/],
    ['a BEGIN line without its END line', () => publicPem.split('-----END')[0] as string, /contains "-----BEGIN" but no complete PEM block/],
    ['mismatched BEGIN and END labels', () => publicPem.replace('END PUBLIC KEY', 'END PRIVATE KEY'), /no complete PEM block/],
    ['JSON that is not an object', '["not", "a", "key"]', /must be a JWK or a JWK Set object/],
    ['a JWK Set with no keys', '{"keys":[]}', /non-empty "keys" array/],
    ['a JWK that is not a key', '{"kty":"EC","crv":"P-256","x":"AAAA"}', /the JWK is not a valid asymmetric JWK/],
  ])('%s', (_case, keys, message) => {
    const text = typeof keys === 'function' ? keys() : keys;
    let error: unknown;
    try {
      verifyWith(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(VerifierConfigError);
    expect(error).toMatchObject({ option: 'keys', code: 'ERR_TOKENVEND_VERIFIER_CONFIG' });
    expect((error as Error).message).toMatch(message);
    // The message names the problem, never the material.
    expect((error as Error).message).not.toContain('bm90IGEga2V5');
    expect((error as Error).message).not.toContain(publicPem.split('\n')[1]);
  });

  // Text holding the old and the next key: the first verified, the second was silently ignored.
  test.each<[string, () => string, string]>([
    ['two public keys', () => `${publicPem}${eddsaPublicPem()}`, 'holds 2 public keys'],
    ['two public keys after a comment line', () => `# old, then next\n${publicPem}\n${eddsaPublicPem()}`, 'holds 2 public keys'],
    ['two private keys', () => `${privatePem}${eddsaPrivatePem}`, 'holds 2 private keys'],
    ['two private keys on one line with .env \\n escapes', () => `${privatePem}${eddsaPrivatePem}`.trim().replace(/\n/g, '\\n'), 'holds 2 private keys'],
    ['a private key and two public keys', () => `${privatePem}${publicPem}${eddsaPublicPem()}`, 'holds 2 public keys'],
  ])('%s are refused, never quoted', (_case, keys, problem) => {
    let error: unknown;
    try {
      verifyWith(keys());
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(VerifierConfigError);
    expect(error).toMatchObject({ option: 'keys', code: 'ERR_TOKENVEND_VERIFIER_CONFIG' });
    expect((error as Error).message).toBe(
      `tokenvend/verify: "keys" ${problem}; give exactly one (several keys go in a JWK Set, each with its own kid, or are fetched through "jwksUri" or "issuer")`,
    );
    for (const pem of [publicPem, eddsaPublicPem(), privatePem, eddsaPrivatePem]) {
      for (const line of pem.split('\n').filter((text) => text !== '' && !text.startsWith('-----'))) expect((error as Error).message).not.toContain(line);
    }
  });

  test('keys and jwksUri together are refused', () => {
    expect(() => createVerifier({ keys: publicPem, jwksUri: 'https://tokens.example.com/jwks.json' })).toThrow(/"keys" cannot be combined with "jwksUri"/);
  });
});
