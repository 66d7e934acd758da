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

  it('without "audience", aud is every audience the caller may have', async () => {
    expect(decodeJwt((await mint(t, any.key, { orgId: 'o' }).expect(201)).body.token).aud).toEqual(['orders-api', 'billing-api']);
    expect(decodeJwt((await mint(t, orders.key, { orgId: 'o' }).expect(201)).body.token).aud).toBe('orders-api');
  });

  it('a caller may ask for one audience its entry allows', async () => {
    const { body } = await mint(t, both.key, { orgId: 'o', audience: 'billing-api' }).expect(201);
    const { payload } = await jwtVerify(body.token, createLocalJWKSet((await request(t.app).get('/.well-known/jwks.json')).body as JSONWebKeySet), { audience: 'billing-api' });
    expect(payload.aud).toBe('billing-api');
  });

  it('403 for an audience the caller is not allowed, 400 for one not configured', async () => {
    expect((await mint(t, orders.key, { orgId: 'o', audience: 'billing-api' }).expect(403)).body.detail).toBe('This caller may not request tokens for that audience');
    expect((await mint(t, any.key, { orgId: 'o', audience: 'orders-api' }).expect(403)).body.code).toBe('ERR_TOKENVEND_FORBIDDEN');
    expect((await mint(t, both.key, { orgId: 'o', audience: 'payroll-api' }).expect(400)).body.detail).toBe('audience must be one of the configured audiences');
    expect((await mint(t, both.key, { orgId: 'o', audience: 7 }).expect(400)).body.detail).toBe('audience must be a string');
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
      expect(res.body).toEqual({ issuer: extra.TOKEN_ISSUER, jwks_uri: jwksUri, id_token_signing_alg_values_supported: ['ES256'] });
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
