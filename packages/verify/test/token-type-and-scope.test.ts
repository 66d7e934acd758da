/** The `typ` header (JWT or RFC 9068's at+jwt), Vapi's `token` scope claim, and requireOrgToken's `tag`. */
import express, { type Express } from 'express';
import request from 'supertest';
import { createVerifier, requireOrgToken, VerifierConfigError, type RequireOrgTokenOptions, type TokenClaims, type VerifierOptions } from '../src/index.js';
import { startIssuerServer, type IssuerServer } from './helpers/issuer-server.js';
import { claims, createTestKey, mint, type TestKey } from './helpers/keys.js';
import { rejection } from './helpers/rejection.js';

let key: TestKey;
let issuer: IssuerServer;

beforeAll(async () => {
  key = await createTestKey('ES256');
  issuer = await startIssuerServer([key.jwk]);
});
afterAll(() => issuer.close());

const verifier = (options: Partial<VerifierOptions> = {}) => createVerifier({ jwksUri: issuer.jwksUri, ...options });

describe('typ', () => {
  test.each(['JWT', 'at+jwt', 'application/at+jwt', 'AT+JWT', 'jwt'])('accepts typ %s by default', async (typ) => {
    const payload = claims();
    await expect(verifier()(await mint(key, payload, typ))).resolves.toEqual(payload);
  });

  test.each([
    ['another type', 'dpop+jwt', 'Token header "typ" is not accepted'],
    ['an id token type', 'id+jwt', 'Token header "typ" is not accepted'],
    ['no typ at all', null, 'Token header "typ" is missing'],
  ])('refuses %s by default (explicit typing, RFC 8725 §3.11)', async (_case, typ, message) => {
    const token = await mint(key, claims(), typ);
    const err = await rejection(verifier()(token), token);
    expect({ code: err.code, claim: err.claim, message: err.message }).toEqual({ code: 'ERR_TOKENVEND_CLAIM_INVALID', claim: 'typ', message });
  });

  test('typ: "at+jwt" requires an RFC 9068 access token; typ: "JWT" the other kind', async () => {
    const accessToken = await mint(key, claims(), 'at+jwt');
    const plain = await mint(key, claims(), 'JWT');
    await expect(verifier({ typ: 'at+jwt' })(accessToken)).resolves.toMatchObject({ orgId: 'org-a' });
    expect((await rejection(verifier({ typ: 'at+jwt' })(plain), plain)).claim).toBe('typ');
    await expect(verifier({ typ: 'JWT' })(plain)).resolves.toMatchObject({ orgId: 'org-a' });
    expect((await rejection(verifier({ typ: 'JWT' })(accessToken), accessToken)).claim).toBe('typ');
  });

  test.each([['dpop+jwt'], [''], [['JWT']], [42]])('typ %j is refused at construction', (typ) => {
    expect(() => verifier({ typ: typ as never })).toThrow(VerifierConfigError);
    expect(() => verifier({ typ: typ as never })).toThrow(/"typ" must be one of "JWT", "at\+jwt"/);
  });
});

describe('the token claim (Vapi scope)', () => {
  test('a private and a restricted public scope come back typed and whole', async () => {
    const restricted = claims({
      token: { tag: 'public', restrictions: { enabled: true, allowedOrigins: ['https://app.example.com'], allowedAssistantIds: ['a1'], allowTransientAssistant: false } },
    });
    const verified: TokenClaims = await verifier()(await mint(key, restricted));
    expect(verified).toEqual(restricted);
    expect(verified.token?.restrictions?.allowedOrigins).toEqual(['https://app.example.com']);
    await expect(verifier()(await mint(key, claims({ token: { tag: 'private' } })))).resolves.toMatchObject({ token: { tag: 'private' } });
  });

  test.each([
    ['a string', 'private'],
    ['an unknown tag', { tag: 'admin' }],
    ['no tag', { restrictions: {} }],
    ['restrictions that are not an object', { tag: 'public', restrictions: ['https://app.example.com'] }],
    ['origins that are not a list of strings', { tag: 'public', restrictions: { allowedOrigins: 'https://app.example.com' } }],
    ['a non-boolean enabled', { tag: 'public', restrictions: { enabled: 'yes' } }],
  ])('a token claim that is %s is refused (ERR_TOKENVEND_CLAIM_INVALID, claim "token")', async (_case, scope) => {
    const token = await mint(key, claims({ token: scope }));
    const err = await rejection(verifier()(token), token);
    expect({ code: err.code, claim: err.claim }).toEqual({ code: 'ERR_TOKENVEND_CLAIM_INVALID', claim: 'token' });
  });
});

describe('requireOrgToken({ tag })', () => {
  const appWith = (options: Partial<RequireOrgTokenOptions>): Express => {
    const app = express();
    app.get('/calls', requireOrgToken({ jwksUri: issuer.jwksUri, ...options }), (_req, res) => {
      res.json({ orgId: res.locals.orgId });
    });
    return app;
  };
  const forbidden = {
    type: 'about:blank',
    title: 'Forbidden',
    status: 403,
    detail: "The token's scope (token.tag) may not use this resource",
    code: 'ERR_TOKENVEND_TAG_FORBIDDEN',
  };
  const call = async (app: Express, scope: unknown) =>
    request(app).get('/calls').set('Authorization', `Bearer ${await mint(key, claims(scope === undefined ? {} : { token: scope }))}`);

  test("tag: 'private' lets a private token through", async () => {
    const res = await call(appWith({ tag: 'private' }), { tag: 'private' });
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { orgId: 'org-a' } });
  });

  test.each([
    ['a public token', { tag: 'public', restrictions: { enabled: true, allowedOrigins: ['https://app.example.com'] } }],
    ['a token without the token claim', undefined],
  ])("tag: 'private' answers 403 problem+json (insufficient_scope) to %s", async (_case, scope) => {
    const res = await call(appWith({ tag: 'private' }), scope);
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="tokenvend", error="insufficient_scope"');
    expect(JSON.parse(res.text)).toEqual(forbidden);
  });

  test('a list of tags lets either through; without tag every scope and none pass', async () => {
    const both = appWith({ tag: ['private', 'public'] });
    expect((await call(both, { tag: 'public' })).status).toBe(200);
    expect((await call(both, { tag: 'private' })).status).toBe(200);
    expect((await call(both, undefined)).status).toBe(403);
    const any = appWith({});
    for (const scope of [{ tag: 'public' }, { tag: 'private' }, undefined]) expect((await call(any, scope)).status).toBe(200);
  });

  test.each([['admin'], [[]], [['private', 'root']], [42]])('tag %j is refused at construction', (tag) => {
    expect(() => requireOrgToken({ jwksUri: issuer.jwksUri, tag: tag as never })).toThrow(VerifierConfigError);
  });
});
