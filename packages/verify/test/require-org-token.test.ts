import express, { type Express, type Request } from 'express';
import request from 'supertest';
import {
  getTokenClaims,
  requireOrgToken,
  type AuthenticatedRequest,
  type RequireOrgTokenOptions,
} from '../src/index.js';
import { deadUrl, startIssuerServer, type IssuerServer } from './helpers/issuer-server.js';
import { claims, createTestKey, mint, nowSeconds, tamper, type TestKey } from './helpers/keys.js';

const CHALLENGE = 'Bearer realm="tokenvend"';
const INVALID_TOKEN = 'Bearer realm="tokenvend", error="invalid_token"';

let key: TestKey;
let issuer: IssuerServer;

beforeAll(async () => {
  key = await createTestKey('ES256');
  issuer = await startIssuerServer([key.jwk]);
});
afterAll(() => issuer.close());

function appWith(options: RequireOrgTokenOptions): Express {
  const app = express();
  app.get('/reports', requireOrgToken(options), (req, res) => {
    res.json({ orgId: res.locals.orgId, auth: (req as AuthenticatedRequest<Request>).auth, claims: getTokenClaims(req) });
  });
  return app;
}

const problem = (status: number, code: string, detail: string) => ({
  type: 'about:blank',
  title: { 401: 'Unauthorized', 403: 'Forbidden', 503: 'Service Unavailable' }[status],
  status,
  detail,
  code,
});

describe('requireOrgToken', () => {
  let app: Express;
  beforeAll(() => {
    app = appWith({ jwksUri: issuer.jwksUri, orgs: ['org-a', 'org-b'] });
  });

  test('200: exposes the claims as req.auth, getTokenClaims(req) and res.locals.orgId', async () => {
    const payload = claims();
    const res = await request(app).get('/reports').set('Authorization', `Bearer ${await mint(key, payload)}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ orgId: 'org-a', auth: payload, claims: payload });
  });

  test('200: the scheme is case-insensitive', async () => {
    const res = await request(app).get('/reports').set('Authorization', `bEaReR ${await mint(key)}`);
    expect(res.status).toBe(200);
  });

  test.each([
    ['no Authorization header', undefined],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
  ])('401 without an error code for %s (RFC 6750 §3.1)', async (_case, authorization) => {
    const req = request(app).get('/reports');
    const res = await (authorization ? req.set('Authorization', authorization) : req);
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.headers['www-authenticate']).toBe(CHALLENGE);
    expect(JSON.parse(res.text)).toEqual(problem(401, 'ERR_TOKENVEND_TOKEN_MISSING', 'A bearer token is required'));
  });

  test.each([
    ['a tampered token', async () => tamper(await mint(key)), 'ERR_TOKENVEND_TOKEN_INVALID', 'The bearer token is invalid'],
    ['an empty token', async () => '', 'ERR_TOKENVEND_TOKEN_INVALID', 'The bearer token is invalid'],
    ['an expired token', async () => mint(key, claims({ exp: nowSeconds() - 60 })), 'ERR_TOKENVEND_TOKEN_EXPIRED', 'The bearer token has expired'],
    ['a token without orgId', async () => mint(key, claims({ orgId: undefined })), 'ERR_TOKENVEND_CLAIM_INVALID', "The bearer token's claims are not acceptable"],
  ])('401 invalid_token for %s, never echoing the token', async (_case, makeToken, code, detail) => {
    const token = await makeToken();
    const res = await request(app).get('/reports').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.headers['www-authenticate']).toBe(INVALID_TOKEN);
    expect(JSON.parse(res.text)).toEqual(problem(401, code, detail));
    for (const part of token.split('.').filter(Boolean)) expect(res.text).not.toContain(part);
  });

  test('403 for an org outside the allow-list', async () => {
    const res = await request(app).get('/reports').set('Authorization', `Bearer ${await mint(key, claims({ orgId: 'org-z' }))}`);
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="tokenvend", error="insufficient_scope"');
    expect(JSON.parse(res.text)).toEqual(
      problem(403, 'ERR_TOKENVEND_ORG_FORBIDDEN', "The token's organization may not use this resource"),
    );
  });

  test('any org passes without an allow-list', async () => {
    const res = await request(appWith({ jwksUri: issuer.jwksUri }))
      .get('/reports')
      .set('Authorization', `Bearer ${await mint(key, claims({ orgId: 'org-z' }))}`);
    expect(res.status).toBe(200);
    expect(res.body.orgId).toBe('org-z');
  });

  test('503 without cause or challenge when the JWKS is unreachable', async () => {
    const token = await mint(key);
    const res = await request(appWith({ jwksUri: await deadUrl() })).get('/reports').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(JSON.parse(res.text)).toEqual(
      problem(503, 'ERR_TOKENVEND_JWKS_UNAVAILABLE', 'Token signing keys are temporarily unavailable'),
    );
    expect(res.text).not.toMatch(/ECONNREFUSED|fetch failed|\bat /);
  });

  test('503 when discovery fails', async () => {
    const token = await mint(key, claims({ iss: 'http://127.0.0.1:1' }));
    const res = await request(appWith({ issuer: new URL(await deadUrl('/')).origin })).get('/reports').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text)).toEqual(
      problem(503, 'ERR_TOKENVEND_DISCOVERY_FAILED', 'Token signing keys are temporarily unavailable'),
    );
  });
});

test('getTokenClaims throws for a request the middleware did not accept', () => {
  expect(() => getTokenClaims({} as express.Request)).toThrow('tokenvend/verify: requireOrgToken() has not accepted this request');
});
