/** Per-org keys (ORG_KEYS_FILE): each listed org's tokens are signed with its own key; others with the service key. */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import request from 'supertest';
import { buildApp, type TestApp } from '../support/build-app.js';
import { callersJson, testCaller } from '../support/callers.js';
import { ed25519Key, p256Key, privateJwk } from '../support/keys.js';

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const backend = testCaller('backend', { tags: ['private', 'public'] });

// Two Vapi orgs (staging and production, say), each with its own private key (a UUID string).
const STAGING = randomUUID();
const PRODUCTION = randomUUID();
const STAGING_KEY = randomUUID();
const PRODUCTION_KEY = randomUUID();
const ASYMMETRIC_ORG = 'org_asymmetric';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tokenvend-org-keys-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function orgKeysFile(document: unknown): string {
  const file = join(dir, `${randomUUID()}.json`);
  writeFileSync(file, typeof document === 'string' ? document : JSON.stringify(document), { mode: 0o600 });
  return file;
}

const mint = (t: TestApp, body: unknown) => request(t.app).post('/tokens').set('Authorization', `Bearer ${backend.key}`).send(body as object);
const jwksOf = async (t: TestApp) => (await request(t.app).get('/.well-known/jwks.json').expect(200)).body as JSONWebKeySet;

describe('with ORG_KEYS_FILE beside a service key', () => {
  let t: TestApp;
  beforeAll(async () => {
    const file = orgKeysFile({
      [STAGING]: STAGING_KEY,
      [PRODUCTION]: PRODUCTION_KEY,
      [ASYMMETRIC_ORG]: JSON.parse(privateJwk(ed25519Key(), { kid: 'org-asym-1' })),
    });
    t = await buildApp({ NODE_ENV: 'production', PRIVATE_KEY: p256Key().pkcs8, ORG_KEYS_FILE: file, CALLERS: callersJson(backend) }, { clock: () => NOW });
  });
  afterAll(() => t.close());

  it("signs each listed org's tokens HS256 with that org's own key, as Vapi verifies them", async () => {
    for (const [orgId, key] of [[STAGING, STAGING_KEY], [PRODUCTION, PRODUCTION_KEY]] as const) {
      const { body } = await mint(t, { orgId }).expect(201);
      expect(decodeProtectedHeader(body.token)).toEqual({ alg: 'HS256', typ: 'JWT' });
      expect(jsonwebtoken.verify(body.token, key, { algorithms: ['HS256'], clockTimestamp: NOW / 1000 })).toMatchObject({ orgId, token: { tag: 'private' } });
      // The other org's key does not verify it: keys are per org.
      const other = key === STAGING_KEY ? PRODUCTION_KEY : STAGING_KEY;
      expect(() => jsonwebtoken.verify(body.token, other, { algorithms: ['HS256'], clockTimestamp: NOW / 1000 })).toThrow(/invalid signature/);
    }
  });

  it('signs an org with an asymmetric key with it, and publishes it (never the HMAC ones) in the JWKS', async () => {
    const { body } = await mint(t, { orgId: ASYMMETRIC_ORG }).expect(201);
    expect(decodeProtectedHeader(body.token)).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: 'org-asym-1' });
    const jwks = await jwksOf(t);
    expect(jwks.keys.map((key) => key.kid).sort()).toEqual(['org-asym-1', t.keyRing.active?.kid].sort());
    expect(JSON.stringify(jwks)).not.toMatch(/"d"|"k"/);
    const { payload } = await jwtVerify(body.token, createLocalJWKSet(jwks), { currentDate: new Date(NOW) });
    expect(payload.orgId).toBe(ASYMMETRIC_ORG);
  });

  it('signs any other org with the service key', async () => {
    const { body } = await mint(t, { orgId: 'org_elsewhere' }).expect(201);
    expect(decodeProtectedHeader(body.token)).toMatchObject({ alg: 'ES256', kid: t.keyRing.active?.kid });
    await jwtVerify(body.token, createLocalJWKSet(await jwksOf(t)), { currentDate: new Date(NOW) });
  });

  it('never writes key material to the log', () => {
    const text = t.rawLogs.join('\n');
    for (const secret of [STAGING_KEY, PRODUCTION_KEY]) expect(text).not.toContain(secret);
  });

  it('counts the orgs with keys of their own', async () => {
    expect(await t.metrics.registry.getSingleMetricAsString('tokenvend_org_keys')).toMatch(/tokenvend_org_keys 3/);
  });
});

describe('with ORG_KEYS_FILE and no service key', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildApp({ NODE_ENV: 'production', ORG_KEYS_FILE: orgKeysFile({ [STAGING]: STAGING_KEY }), CALLERS: callersJson(backend) }, { clock: () => NOW });
  });
  afterAll(() => t.close());

  it('issues for the listed org and is ready', async () => {
    await mint(t, { orgId: STAGING }).expect(201);
    const { body } = await request(t.app).get('/readyz').expect(200);
    expect(body.checks.signingKey).toBe('ok');
  });

  it('refuses another org with 403 saying it has no key, and issues nothing', async () => {
    const res = await mint(t, { orgId: PRODUCTION }).expect(403);
    expect(res.body).toMatchObject({ code: 'ERR_TOKENVEND_FORBIDDEN', detail: expect.stringMatching(/This org has no signing key/) });
    expect(t.logs.at(-1)).toMatchObject({ event: 'token.rejected', orgId: PRODUCTION, status: 403 });
  });

  it('publishes no key (HMAC keys never are)', async () => {
    expect(await jwksOf(t)).toEqual({ keys: [] });
  });
});

describe('a bad ORG_KEYS_FILE stops start-up with one line naming the variable and the org, never the material', () => {
  const start = (document: unknown) => buildApp({ NODE_ENV: 'production', ORG_KEYS_FILE: orgKeysFile(document), CALLERS: callersJson(backend) });
  const shortSecret = 'short-secret-of-22-byte';
  it.each([
    ['a secret under 32 bytes', { org_a: shortSecret }, /^ORG_KEYS_FILE: org "org_a": is an HMAC secret of 23 bytes; HS256 needs at least 32$/],
    ['an orgId outside the rules', { 'org a': STAGING_KEY }, /^ORG_KEYS_FILE: an orgId is not valid/],
    ['a file that is not an object', [STAGING_KEY], /^ORG_KEYS_FILE: must be a JSON object mapping each orgId to its key/],
    ['a file that is not JSON', '{ "org_a": ', /^ORG_KEYS_FILE: is not valid JSON/],
    ['a value that is neither a string nor a JWK', { org_a: 42 }, /^ORG_KEYS_FILE: org "org_a": must be a key string/],
    ['an empty key', { org_a: ' ' }, /^ORG_KEYS_FILE: org "org_a": is empty/],
    // Not PRIVATE_KEY_FILE's hint: that variable has nothing to do with an org's key.
    ['a bare base64 DER key (no PRIVATE_KEY_FILE hint at this door)', { org_a: p256Key().pkcs8.split('\n').filter((line) => line !== '' && !line.startsWith('-----')).join('') }, /^ORG_KEYS_FILE: org "org_a": is a base64 DER key without its PEM lines; add the "-----BEGIN PRIVATE KEY-----" and "-----END PRIVATE KEY-----" lines$/],
    ['a path instead of the key', { org_a: '/run/secrets/org_a.pem' }, /^ORG_KEYS_FILE: org "org_a": looks like a file path, not key material; ORG_KEYS_FILE holds each org's key itself \(a secret, a PEM or a private JWK\), not where it is stored$/],
    ['a public JWK', { org_a: { kty: 'OKP', crv: 'Ed25519', x: 'x' } }, /^ORG_KEYS_FILE: org "org_a": is a public JWK/],
    ['two private keys for one org', { org_a: `${p256Key().pkcs8}${ed25519Key().pkcs8}` }, /^ORG_KEYS_FILE: org "org_a": holds 2 private keys; give exactly one \(an org signs with one key\)$/],
  ])('%s', async (_name, document, message) => {
    const failure = start(document);
    await expect(failure).rejects.toThrow(message);
    await failure.catch((error: Error) => {
      expect(error.message).not.toContain(shortSecret);
      expect(error.message).not.toContain(p256Key().pkcs8.split('\n')[1]);
    });
  });

  it('a kid shared by two different keys', async () => {
    const document = { org_a: JSON.parse(privateJwk(p256Key(), { kid: 'same' })), org_b: JSON.parse(privateJwk(ed25519Key(), { kid: 'same' })) };
    await expect(start(document)).rejects.toThrow(/^ORG_KEYS_FILE: org "org_b": its kid "same" is used by another org's different key$/);
  });

  it('an unreadable file', async () => {
    await expect(buildApp({ NODE_ENV: 'production', ORG_KEYS_FILE: join(dir, 'missing.json'), CALLERS: callersJson(backend) })).rejects.toThrow(/^ORG_KEYS_FILE: cannot read the file/);
  });
});

describe('an asymmetric org key signs for its own org only (adversarial review)', () => {
  it('is published with the orgs it signs for, and @tokenvend/verify refuses a token it signed for another org', async () => {
    const { createVerifier } = await import('@tokenvend/verify');
    const { SignJWT, importJWK } = await import('jose');
    const orgJwk = JSON.parse(privateJwk(p256Key(), { kid: 'org-a-key', alg: 'ES256' })) as Record<string, unknown>;
    const t = await buildApp({ NODE_ENV: 'production', PRIVATE_KEY: ed25519Key().pkcs8, ORG_KEYS_FILE: orgKeysFile({ org_a: orgJwk }), CALLERS: callersJson(backend) });
    try {
      const jwks = await jwksOf(t);
      expect(jwks.keys.find((key) => key.kid === 'org-a-key')).toMatchObject({ orgIds: ['org_a'] });
      const verify = createVerifier({ keys: jwks });
      const { body } = await mint(t, { orgId: 'org_a' }).expect(201);
      await expect(verify(body.token)).resolves.toMatchObject({ orgId: 'org_a' });
      // Whoever else holds org_a's private key forges a token for org_b with it.
      const forged = await new SignJWT({ orgId: 'org_b', token: { tag: 'private' } })
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: 'org-a-key' })
        .setIssuedAt()
        .setExpirationTime('5m')
        .setJti(randomUUID())
        .sign(await importJWK(orgJwk as Parameters<typeof importJWK>[0], 'ES256'));
      await expect(verify(forged)).rejects.toMatchObject({ code: 'ERR_TOKENVEND_CLAIM_INVALID', claim: 'orgId' });
    } finally {
      await t.close();
    }
  });
});
