import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import request from 'supertest';
import { buildApp, type TestApp } from '../support/build-app.js';
import { callersJson, testCaller } from '../support/callers.js';
import { p256Key } from '../support/keys.js';
import { serveOnLoopback } from '../support/serve-app.js';

const any = testCaller('any-audience');
const orders = testCaller('orders-only', { audiences: ['orders-api'] });
const both = testCaller('both', { audiences: ['orders-api', 'billing-api'] });
const env = (extra: Record<string, string> = {}) => ({
  NODE_ENV: 'production',
  PRIVATE_KEY: p256Key().pkcs8,
  CALLERS: callersJson(any, orders, both),
  TOKEN_AUDIENCE: 'orders-api,billing-api',
  ...extra,
});
const mint = (t: TestApp, key: string, body: object) => request(t.app).post('/tokens').set('Authorization', `Bearer ${key}`).send(body);

describe('audiences', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildApp(env());
  });
  afterAll(() => t.close());

  const audOf = async (key: string, body: object) => decodeJwt((await mint(t, key, body).expect(201)).body.token).aud;
  const refusal = async (key: string, body: object, status: number) => (await mint(t, key, body).expect(status)).body as { detail: string; code: string };

  it('without "audience", a token has ONE audience: the caller\'s first, else the first of TOKEN_AUDIENCE', async () => {
    expect(await audOf(any.key, { orgId: 'o' })).toBe('orders-api');
    expect(await audOf(orders.key, { orgId: 'o' })).toBe('orders-api');
    expect(await audOf(both.key, { orgId: 'o' })).toBe('orders-api');
    // The attack this closes: a token handed to orders-api was accepted by billing-api too.
    const { body } = await mint(t, any.key, { orgId: 'o' }).expect(201);
    const jwks = createLocalJWKSet((await request(t.app).get('/.well-known/jwks.json')).body as JSONWebKeySet);
    await expect(jwtVerify(body.token, jwks, { audience: 'billing-api' })).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' });
  });

  it('a caller without "audiences" may ask for any one configured audience', async () => {
    expect(await audOf(any.key, { orgId: 'o', audience: 'billing-api' })).toBe('billing-api');
    expect(await audOf(any.key, { orgId: 'o', audience: ['orders-api'] })).toBe('orders-api');
  });

  it('a caller may ask for one audience its entry allows', async () => {
    const { body } = await mint(t, both.key, { orgId: 'o', audience: 'billing-api' }).expect(201);
    const { payload } = await jwtVerify(body.token, createLocalJWKSet((await request(t.app).get('/.well-known/jwks.json')).body as JSONWebKeySet), { audience: 'billing-api' });
    expect(payload.aud).toBe('billing-api');
  });

  it('several audiences (an array) only when every one is in the caller\'s own "audiences"', async () => {
    expect(await audOf(both.key, { orgId: 'o', audience: ['billing-api', 'orders-api'] })).toEqual(['billing-api', 'orders-api']);
    expect(await refusal(any.key, { orgId: 'o', audience: ['orders-api', 'billing-api'] }, 403)).toMatchObject({
      code: 'ERR_TOKENVEND_FORBIDDEN',
      detail: 'This caller may ask for one audience per token (its entry lists no audiences)',
    });
    expect((await refusal(orders.key, { orgId: 'o', audience: ['orders-api', 'billing-api'] }, 403)).detail).toBe('This caller may not request tokens for that audience');
  });

  it('403 for an audience the caller is not allowed, 400 for one not configured or a malformed one', async () => {
    expect((await refusal(orders.key, { orgId: 'o', audience: 'billing-api' }, 403)).detail).toBe('This caller may not request tokens for that audience');
    expect((await refusal(both.key, { orgId: 'o', audience: 'payroll-api' }, 400)).detail).toBe('audience must be one of the configured audiences');
    expect((await refusal(both.key, { orgId: 'o', audience: ['orders-api', 'payroll-api'] }, 400)).detail).toBe('audience must be one of the configured audiences');
    expect((await refusal(both.key, { orgId: 'o', audience: 7 }, 400)).detail).toBe('audience must be a string or an array of strings');
    expect((await refusal(both.key, { orgId: 'o', audience: ['orders-api', 7] }, 400)).detail).toBe('audience must be a string or an array of strings');
    expect((await refusal(both.key, { orgId: 'o', audience: [] }, 400)).detail).toBe('audience must name at least one audience');
    expect((await refusal(both.key, { orgId: 'o', audience: ['orders-api', 'orders-api'] }, 400)).detail).toBe('audience must not name an audience twice');
    expect(t.logs.filter((line) => line.event === 'token.rejected' && line.status === 500)).toEqual([]);
  });

  it('400 when no audience is configured at all', async () => {
    const plain = await buildApp({ ...env(), TOKEN_AUDIENCE: '', CALLERS: callersJson(any) });
    expect((await mint(plain, any.key, { orgId: 'o', audience: 'x' }).expect(400)).body.detail).toBe('audience is not supported: this server has no TOKEN_AUDIENCE');
    expect(decodeJwt((await mint(plain, any.key, { orgId: 'o' }).expect(201)).body.token).aud).toBeUndefined();
    await plain.close();
  });
});

describe('GET /.well-known/openid-configuration', () => {
  it('is 404 without TOKEN_ISSUER', async () => {
    const t = await buildApp(env());
    await request(t.app).get('/.well-known/openid-configuration').expect(404);
    await t.close();
  });

  it('points jwks_uri at PUBLIC_URL, else the issuer URL, else the request', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ TOKEN_ISSUER: 'https://tokens.example', PUBLIC_URL: 'https://edge.example/tv' }, 'https://edge.example/tv/.well-known/jwks.json'],
      [{ TOKEN_ISSUER: 'https://tokens.example/' }, 'https://tokens.example/.well-known/jwks.json'],
      [{ TOKEN_ISSUER: 'tokenvend' }, 'http://tokens.internal:8080/.well-known/jwks.json'],
    ];
    for (const [extra, jwksUri] of cases) {
      const t = await buildApp(env(extra));
      const res = await request(t.app).get('/.well-known/openid-configuration').set('Host', 'tokens.internal:8080').expect(200);
      expect(res.body).toEqual({
        issuer: extra.TOKEN_ISSUER,
        jwks_uri: jwksUri,
        token_endpoint: jwksUri.replace('/.well-known/jwks.json', '/oauth/token'),
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
        token_endpoint_auth_signing_alg_values_supported: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'],
        scopes_supported: ['org:*'],
        id_token_signing_alg_values_supported: ['ES256'],
      });
      // RFC 8414 §3: the OAuth well-known path serves the same document.
      const oauth = await request(t.app).get('/.well-known/oauth-authorization-server').set('Host', 'tokens.internal:8080').expect(200);
      expect(oauth.body).toEqual(res.body);
      // Derived from the Host header, the third document must not be cached by anyone.
      expect(res.headers['cache-control']).toBe(extra.TOKEN_ISSUER === 'tokenvend' ? 'no-store' : 'public, max-age=300');
      await t.close();
    }
  });

  it('lets an OIDC-aware verifier find the keys from the issuer alone', async () => {
    const t = await buildApp(env({ TOKEN_ISSUER: 'placeholder' }));
    const { base, close } = await serveOnLoopback(t.app);
    try {
      const { token } = (await mint(t, any.key, { orgId: 'o' }).expect(201)).body as { token: string };
      const discovery = (await (await fetch(`${base}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
      expect(discovery.jwks_uri).toBe(`${base}/.well-known/jwks.json`);
      const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(discovery.jwks_uri)), { issuer: 'placeholder' });
      expect(payload.orgId).toBe('o');
    } finally {
      await close();
      await t.close();
    }
  });
});

describe('JWKS caching', () => {
  it('answers If-None-Match with 304, and the ETag follows the key set', async () => {
    const t = await buildApp(env({ JWKS_MAX_AGE: '120' }));
    const first = await request(t.app).get('/.well-known/jwks.json').expect(200);
    expect(first.headers['cache-control']).toBe('public, max-age=120');
    const etag = first.headers['etag'] as string;
    expect(etag).toMatch(/^"[\w-]{32}"$/);
    const notModified = await request(t.app).get('/.well-known/jwks.json').set('If-None-Match', etag).expect(304);
    expect(notModified.text).toBe('');
    expect(notModified.headers['etag']).toBe(etag);
    await request(t.app).get('/.well-known/jwks.json').set('If-None-Match', `W/${etag}`).expect(304);
    await request(t.app).get('/.well-known/jwks.json').set('If-None-Match', '"other", *').expect(304);
    await request(t.app).get('/.well-known/jwks.json').set('If-None-Match', '"other"').expect(200);
    t.keyRing.replace([]);
    const changed = await request(t.app).get('/.well-known/jwks.json').set('If-None-Match', etag).expect(200);
    expect(changed.body).toEqual({ keys: [] });
    expect(changed.headers['etag']).not.toBe(etag);
    await t.close();
  });
});
