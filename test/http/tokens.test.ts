import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import request from 'supertest';
import { buildApp, type TestApp } from '../support/build-app.js';
import { callersJson, testCaller, unregisteredKey } from '../support/callers.js';
import { ed25519Key, hmacSecret, p256Key, p384Key, p521Key, rsaKey, type TestKey } from '../support/keys.js';

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const web = testCaller('web-backend');
const narrow = testCaller('billing', { orgs: ['org_a', 'org_b'], maxTtl: '15m' });

const baseEnv = {
  NODE_ENV: 'production',
  CALLERS: callersJson(web, narrow),
  LOG_LEVEL: 'info',
};

async function appWith(env: Record<string, string> = {}): Promise<TestApp> {
  return buildApp({ ...baseEnv, PRIVATE_KEY: p256Key().pkcs8, ...env }, { clock: () => NOW });
}

const mint = (t: TestApp, key: string | undefined, body: unknown) => {
  const req = request(t.app).post('/tokens');
  if (key !== undefined) req.set('Authorization', `Bearer ${key}`);
  return req.send(body as object);
};

async function jwksOf(t: TestApp): Promise<JSONWebKeySet> {
  return (await request(t.app).get('/.well-known/jwks.json').expect(200)).body as JSONWebKeySet;
}

describe('POST /tokens issues a token', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await appWith({ TOKEN_ISSUER: 'https://tokens.example', TOKEN_AUDIENCE: 'orders-api' });
  });

  it('answers 201 with the token document and no-store', async () => {
    const res = await mint(t, web.key, { orgId: 'org_a', expiresIn: '15m' }).expect(201);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['pragma']).toBe('no-cache');
    expect(res.body).toEqual({
      token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      tokenType: 'Bearer',
      expiresIn: 900,
      expiresAt: new Date(NOW + 900_000).toISOString(),
      orgId: 'org_a',
    });
  });

  it('signs exactly the documented header and claims', async () => {
    const { body } = await mint(t, web.key, { orgId: 'org_a' }).expect(201);
    const jwks = await jwksOf(t);
    const { payload, protectedHeader } = await jwtVerify(body.token, createLocalJWKSet(jwks), {
      issuer: 'https://tokens.example',
      audience: 'orders-api',
      currentDate: new Date(NOW),
    });
    expect(protectedHeader).toEqual({ alg: 'ES256', typ: 'JWT', kid: t.keyRing.active?.kid });
    expect(payload).toEqual({
      orgId: 'org_a',
      iss: 'https://tokens.example',
      aud: 'orders-api',
      iat: NOW / 1000,
      exp: NOW / 1000 + 3600,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('gives every token a unique jti', async () => {
    const tokens = await Promise.all(Array.from({ length: 20 }, () => mint(t, web.key, { orgId: 'org_a' }).expect(201)));
    const jtis = tokens.map(({ body }) => JSON.parse(Buffer.from(body.token.split('.')[1], 'base64url').toString()).jti);
    expect(new Set(jtis).size).toBe(20);
  });

  it('accepts a request without a body when ORG_ID is set', async () => {
    const withDefault = await appWith({ ORG_ID: 'org_default' });
    const res = await request(withDefault.app).post('/tokens').set('Authorization', `Bearer ${web.key}`).expect(201);
    expect(res.body.orgId).toBe('org_default');
    expect(res.body.expiresIn).toBe(3600);
  });

  it('accepts the org ids the rules allow, UUIDs included', async () => {
    for (const orgId of ['a', 'A'.repeat(128), '3f2b6c1e-8e2a-4c55-9d7a-0c4bb1c0a001', 'org.x_y:z@w-1']) {
      await mint(t, web.key, { orgId }).expect(201);
    }
  });

  it('accepts lifetimes as seconds or duration strings within the limits', async () => {
    for (const [expiresIn, seconds] of [[60, 60], ['90s', 90], ['15m', 900], ['1h', 3600], [3600, 3600]] as const) {
      const { body } = await mint(t, web.key, { orgId: 'org_a', expiresIn }).expect(201);
      expect(body.expiresIn).toBe(seconds);
    }
  });

  it('writes one audit line per token, without the token or the key', async () => {
    const before = t.logs.length;
    const { body } = await mint(t, web.key, { orgId: 'org_b' }).expect(201);
    const lines = t.logs.slice(before);
    const jti = JSON.parse(Buffer.from(body.token.split('.')[1], 'base64url').toString()).jti;
    expect(lines).toEqual([
      expect.objectContaining({ event: 'token.issued', caller: 'web-backend', orgId: 'org_b', jti, kid: t.keyRing.active?.kid, alg: 'ES256', exp: NOW / 1000 + 3600 }),
    ]);
    expect(t.rawLogs.join('\n')).not.toContain(body.token.split('.')[2]);
    expect(t.rawLogs.join('\n')).not.toContain(web.key);
  });
});

describe('each key type signs tokens that standard libraries verify', () => {
  const cases: Array<[string, () => string, string, () => TestKey | undefined]> = [
    ['RSA PKCS#8', () => rsaKey().pkcs8, 'RS256', rsaKey],
    ['RSA with SIGNING_ALG=PS256', () => rsaKey().pkcs8, 'PS256', rsaKey],
    ['P-256', () => p256Key().pkcs8, 'ES256', p256Key],
    ['P-384', () => p384Key().pkcs8, 'ES384', p384Key],
    ['P-521', () => p521Key().pkcs8, 'ES512', p521Key],
    ['Ed25519', () => ed25519Key().pkcs8, 'EdDSA', ed25519Key],
  ];

  it.each(cases)('%s → %s verifies with jose against the JWKS and with jsonwebtoken', async (_name, pem, alg, key) => {
    const t = await appWith({ PRIVATE_KEY: pem(), ...(alg === 'PS256' && { SIGNING_ALG: 'PS256' }) });
    const { body } = await mint(t, web.key, { orgId: 'org_a' }).expect(201);
    expect(decodeProtectedHeader(body.token)).toEqual({ alg, typ: 'JWT', kid: expect.any(String) });
    const { payload } = await jwtVerify(body.token, createLocalJWKSet(await jwksOf(t)), { currentDate: new Date(NOW), algorithms: [alg] });
    expect(payload.orgId).toBe('org_a');
    if (alg !== 'EdDSA') {
      // jsonwebtoken (what the seed's users run today) has no EdDSA support.
      const publicPem = key()?.publicKey.export({ type: 'spki', format: 'pem' }) as string;
      const claims = jsonwebtoken.verify(body.token, publicPem, { algorithms: [alg as jsonwebtoken.Algorithm], clockTimestamp: NOW / 1000 });
      expect(claims).toMatchObject({ orgId: 'org_a', exp: NOW / 1000 + 3600 });
    }
  });

  it('HS256: no kid, nothing published, verifies with the shared secret', async () => {
    const secret = hmacSecret(40);
    const t = await appWith({ PRIVATE_KEY: secret });
    const { body } = await mint(t, web.key, { orgId: 'org_a' }).expect(201);
    expect(decodeProtectedHeader(body.token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(await jwksOf(t)).toEqual({ keys: [] });
    const claims = jsonwebtoken.verify(body.token, secret, { algorithms: ['HS256'], clockTimestamp: NOW / 1000 });
    expect(claims).toMatchObject({ orgId: 'org_a' });
    const { payload } = await jwtVerify(body.token, new TextEncoder().encode(secret), { currentDate: new Date(NOW) });
    expect(payload.orgId).toBe('org_a');
  });

  it('HS256 with KEY_ID carries that kid', async () => {
    const t = await appWith({ PRIVATE_KEY: hmacSecret(40), KEY_ID: 'hmac-2026' });
    const { body } = await mint(t, web.key, { orgId: 'org_a' }).expect(201);
    expect(decodeProtectedHeader(body.token)).toEqual({ alg: 'HS256', typ: 'JWT', kid: 'hmac-2026' });
  });
});

describe('POST /tokens refuses bad input with problem+json and issues nothing', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await appWith();
  });

  const problem = (status: number, code: string, slug: string, title: string, detail: string | RegExp) => ({
    type: `urn:tokenvend:problem:${slug}`,
    title,
    status,
    detail: typeof detail === 'string' ? detail : expect.stringMatching(detail),
    code,
    instance: '/tokens',
  });
  const invalid = (detail: string | RegExp) => problem(400, 'ERR_TOKENVEND_INVALID_REQUEST', 'invalid-request', 'Invalid request', detail);

  async function expectProblem(res: request.Response, status: number, body: object) {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.body).toEqual(body);
    expect(res.text).not.toMatch(/eyJ|at .*\.(ts|js):\d+/);
  }

  it('401 without Authorization, with a challenge and no error code (RFC 6750 §3.1)', async () => {
    const res = await mint(t, undefined, { orgId: 'org_a' });
    await expectProblem(res, 401, problem(401, 'ERR_TOKENVEND_UNAUTHENTICATED', 'unauthenticated', 'Unauthenticated', 'Send the caller key as "Authorization: Bearer <key>"'));
    expect(res.headers['www-authenticate']).toBe('Bearer realm="tokenvend"');
  });

  it.each([
    ['a key without "Bearer "', () => web.key, 'The Authorization header has no scheme: send the caller key as "Authorization: Bearer <key>"'],
    ['another scheme', () => `Basic ${Buffer.from('a:b').toString('base64')}`, 'The Authorization header uses another scheme than Bearer: send the caller key as "Authorization: Bearer <key>"'],
  ])('401 for %s says what is wrong with the scheme, and issues nothing', async (_name, header, detail) => {
    const res = await request(t.app).post('/tokens').set('Authorization', header()).send({ orgId: 'org_a' });
    await expectProblem(res, 401, problem(401, 'ERR_TOKENVEND_UNAUTHENTICATED', 'unauthenticated', 'Unauthenticated', detail));
    expect(res.headers['www-authenticate']).toBe('Bearer realm="tokenvend", error="invalid_token"');
    expect(res.text).not.toContain(web.key);
  });

  it.each([
    ['an unknown key', `Bearer ${unregisteredKey()}`],
    ['a registered key with one checksum character changed', `Bearer ${web.key.slice(0, -1)}${web.key.endsWith('A') ? 'B' : 'A'}`],
    ['a key in the old base64url format', `Bearer tv_${'x'.repeat(43)}`],
    ['an empty bearer', 'Bearer '],
    ['a key with spaces', 'Bearer a b'],
    ['a huge header', `Bearer ${'a'.repeat(5000)}`],
  ])('401 for %s, with error="invalid_token"', async (_name, header) => {
    const res = await request(t.app).post('/tokens').set('Authorization', header).send({ orgId: 'org_a' });
    await expectProblem(res, 401, problem(401, 'ERR_TOKENVEND_UNAUTHENTICATED', 'unauthenticated', 'Unauthenticated', 'The caller key is not valid'));
    expect(res.headers['www-authenticate']).toBe('Bearer realm="tokenvend", error="invalid_token"');
  });

  it('accepts the Bearer scheme case-insensitively', async () => {
    await request(t.app).post('/tokens').set('Authorization', `bearer ${web.key}`).send({ orgId: 'org_a' }).expect(201);
  });

  it('403 when the caller may not mint for the org', async () => {
    const res = await mint(t, narrow.key, { orgId: 'org_c' });
    await expectProblem(res, 403, problem(403, 'ERR_TOKENVEND_FORBIDDEN', 'forbidden', 'Forbidden', 'This caller may not request tokens for that org'));
    await mint(t, narrow.key, { orgId: 'org_b' }).expect(201);
  });

  it.each<[string, unknown, string | RegExp]>([
    ['a missing orgId without ORG_ID', {}, 'orgId is required (this server has no default org)'],
    ['an empty orgId', { orgId: '' }, 'orgId must be 1-128 characters from A-Z a-z 0-9 . _ : @ -'],
    ['a long orgId', { orgId: 'a'.repeat(129) }, 'orgId must be 1-128 characters from A-Z a-z 0-9 . _ : @ -'],
    ['an orgId with a slash', { orgId: 'org/a' }, 'orgId must be 1-128 characters from A-Z a-z 0-9 . _ : @ -'],
    ['an orgId with a space', { orgId: 'org a' }, 'orgId must be 1-128 characters from A-Z a-z 0-9 . _ : @ -'],
    ['a non-ASCII orgId', { orgId: 'orgé' }, 'orgId must be 1-128 characters from A-Z a-z 0-9 . _ : @ -'],
    ['a numeric orgId', { orgId: 42 }, 'orgId must be a string'],
    ['a null orgId', { orgId: null }, 'orgId must be a string'],
    ['an unknown field', { orgId: 'org_a', scope: 'admin' }, 'Unknown field "scope"; allowed: orgId, expiresIn, audience, tag, restrictions'],
    ['a lifetime under 60 s', { orgId: 'org_a', expiresIn: 59 }, 'expiresIn must be at least 60 seconds'],
    ['a lifetime over TOKEN_MAX_TTL', { orgId: 'org_a', expiresIn: '2h' }, 'expiresIn must be at most 3600 seconds for this caller'],
    ['a negative lifetime', { orgId: 'org_a', expiresIn: -5 }, /^expiresIn must be whole seconds/],
    ['a fractional lifetime', { orgId: 'org_a', expiresIn: 90.5 }, /^expiresIn must be whole seconds/],
    ['a lifetime in an unknown unit', { orgId: 'org_a', expiresIn: '1w' }, /^expiresIn must be whole seconds/],
    ['a boolean lifetime', { orgId: 'org_a', expiresIn: true }, /^expiresIn must be whole seconds/],
    ['a JSON array', [{ orgId: 'org_a' }], 'The request body must be a JSON object'],
  ])('400 for %s', async (_name, body, detail) => {
    const res = await mint(t, web.key, body);
    await expectProblem(res, 400, invalid(detail));
  });

  it('a caller with a lower maxTtl gets that as its default lifetime', async () => {
    const { body } = await mint(t, narrow.key, { orgId: 'org_a' }).expect(201);
    expect(body.expiresIn).toBe(900);
  });

  it('400 beyond the caller\'s own maxTtl, never clamped', async () => {
    const res = await mint(t, narrow.key, { orgId: 'org_a', expiresIn: '16m' });
    await expectProblem(res, 400, invalid('expiresIn must be at most 900 seconds for this caller'));
  });

  it('400 for malformed JSON', async () => {
    const res = await request(t.app).post('/tokens').set('Authorization', `Bearer ${web.key}`).set('Content-Type', 'application/json').send('{"orgId":');
    await expectProblem(res, 400, invalid('The request body is not valid JSON'));
  });

  it('400 for a JSON scalar (strict JSON bodies only)', async () => {
    const res = await request(t.app).post('/tokens').set('Authorization', `Bearer ${web.key}`).set('Content-Type', 'application/json').send('"org_a"');
    await expectProblem(res, 400, invalid('The request body is not valid JSON'));
  });

  it('413 for a body over 4 KiB', async () => {
    const res = await mint(t, web.key, { orgId: 'org_a', pad: 'x'.repeat(5000) });
    await expectProblem(res, 413, problem(413, 'ERR_TOKENVEND_PAYLOAD_TOO_LARGE', 'payload-too-large', 'Payload too large', 'The request body exceeds 4 KiB'));
  });

  it.each([
    ['text/plain', 'orgId=org_a'],
    ['application/x-www-form-urlencoded', 'orgId=org_a'],
  ])('415 for %s', async (type, payload) => {
    const res = await request(t.app).post('/tokens').set('Authorization', `Bearer ${web.key}`).set('Content-Type', type).send(payload);
    await expectProblem(res, 415, problem(415, 'ERR_TOKENVEND_UNSUPPORTED_MEDIA_TYPE', 'unsupported-media-type', 'Unsupported media type', 'The request body must be application/json'));
    expect(res.headers['accept-post']).toBe('application/json');
  });

  it('415 for JSON in a charset other than UTF-8', async () => {
    const res = await request(t.app).post('/tokens').set('Authorization', `Bearer ${web.key}`).set('Content-Type', 'application/json; charset=latin1').send('{"orgId":"org_a"}');
    await expectProblem(res, 415, problem(415, 'ERR_TOKENVEND_UNSUPPORTED_MEDIA_TYPE', 'unsupported-media-type', 'Unsupported media type', 'The request body must be UTF-8 JSON'));
  });

  it('authenticates before reading the body: a stranger gets 401, not 400/413', async () => {
    const res = await request(t.app).post('/tokens').set('Authorization', 'Bearer nope').set('Content-Type', 'application/json').send('{bad');
    expect(res.status).toBe(401);
  });

  it('audits each rejection with its reason and the caller when known', async () => {
    const before = t.logs.length;
    await mint(t, undefined, {}).expect(401);
    await mint(t, narrow.key, { orgId: 'org_z' }).expect(403);
    await mint(t, web.key, { orgId: '' }).expect(400);
    const lines = t.logs.slice(before).filter((line) => line.event === 'token.rejected');
    expect(lines.map(({ reason, caller, orgId, status }) => ({ reason, caller, orgId, status }))).toEqual([
      { reason: 'unauthenticated', caller: undefined, orgId: undefined, status: 401 },
      { reason: 'forbidden', caller: 'billing', orgId: 'org_z', status: 403 },
      { reason: 'invalid_request', caller: 'web-backend', orgId: undefined, status: 400 },
    ]);
    expect(t.logs.slice(before).some((line) => line.event === 'token.issued')).toBe(false);
  });
});

describe('routes and headers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await appWith();
  });

  it('404 problem for an unknown route', async () => {
    const res = await request(t.app).get('/nope?x=1').expect(404);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.body).toEqual({ type: 'urn:tokenvend:problem:not-found', title: 'Not found', status: 404, detail: 'No such route', code: 'ERR_TOKENVEND_NOT_FOUND', instance: '/nope' });
  });

  it('405 with Allow for a wrong method', async () => {
    const res = await request(t.app).get('/tokens').expect(405);
    expect(res.headers['allow']).toBe('POST');
    expect(res.body.code).toBe('ERR_TOKENVEND_METHOD_NOT_ALLOWED');
    expect((await request(t.app).delete('/.well-known/jwks.json').expect(405)).headers['allow']).toBe('GET, HEAD');
  });

  it('sends helmet\'s security headers and no X-Powered-By on every response', async () => {
    for (const res of [await request(t.app).get('/healthz'), await request(t.app).get('/nope'), await mint(t, web.key, { orgId: 'org_a' })]) {
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
      expect(res.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-xss-protection']).toBeUndefined();
    }
  });

  it('GET /healthz and /readyz', async () => {
    expect((await request(t.app).get('/healthz').expect(200)).body).toEqual({ status: 'ok' });
    expect((await request(t.app).get('/readyz').expect(200)).body).toEqual({ status: 'ready', checks: { signingKey: 'ok' } });
  });

  it('/readyz is 503 when no key can sign, and POST /tokens answers 503', async () => {
    const local = await appWith();
    local.keyRing.replace([]);
    expect((await request(local.app).get('/readyz').expect(503)).body).toEqual({ status: 'unavailable', checks: { signingKey: 'down' } });
    const res = await mint(local, web.key, { orgId: 'org_a' }).expect(503);
    expect(res.body).toMatchObject({ code: 'ERR_TOKENVEND_UNAVAILABLE', detail: 'No signing key is available', status: 503 });
    expect(res.headers['retry-after']).toBe('5');
  });
});

describe('the signing thread', () => {
  const ecApp = (signingThread: { workerUrl?: URL; cores: number }) => buildApp({ ...baseEnv, PRIVATE_KEY: p256Key().pkcs8 }, { clock: () => NOW, signingThread });
  // Stand-in threads: both answer start() (an empty batch); one exits on its first signature, one refuses every signature.
  const exitsOnFirst = new URL('data:text/javascript,import{parentPort}from"node:worker_threads";parentPort.on("message",(m)=>{if(m.inputs.length)process.exit(7);parentPort.postMessage({id:m.id,results:[]})});');
  const refusesAll = new URL('data:text/javascript,import{parentPort}from"node:worker_threads";parentPort.on("message",(m)=>parentPort.postMessage({id:m.id,results:m.inputs.map(()=>new Error("refused"))}));');

  it('dying with a token in flight: 503 with Retry-After, no token, audited and logged once; the retry is signed on the event loop', async () => {
    const t = await ecApp({ workerUrl: exitsOnFirst, cores: 2 });
    try {
      const res = await mint(t, web.key, { orgId: 'org_a' }).expect(503);
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(res.headers['retry-after']).toBe('1');
      expect(res.body).toMatchObject({ status: 503, code: 'ERR_TOKENVEND_UNAVAILABLE', detail: 'The signer was restarting; retry the request' });
      expect(JSON.stringify(res.body)).not.toMatch(/exited|code 7|worker|stack/i);
      expect(t.logs.filter((line) => line.event === 'token.issued')).toEqual([]);
      expect(t.logs.filter((line) => line.event === 'token.rejected')).toMatchObject([{ reason: 'unavailable', caller: 'web-backend', status: 503 }]);
      expect(t.logs.filter((line) => line.event === 'signing_thread.failed')).toMatchObject([
        { level: 'error', signingHereForMs: 1000, err: { message: 'The signing thread exited (code 7) before answering' } },
      ]);

      const retry = await mint(t, web.key, { orgId: 'org_a' }).expect(201);
      await expect(jwtVerify(retry.body.token, createLocalJWKSet(await jwksOf(t)), { currentDate: new Date(NOW) })).resolves.toBeDefined();
    } finally {
      await t.close();
    }
  });

  it('a signature the signer refuses is a 500 with its cause logged, not a 503 to retry', async () => {
    const t = await ecApp({ workerUrl: refusesAll, cores: 2 });
    try {
      const res = await mint(t, web.key, { orgId: 'org_a' }).expect(500);
      expect(res.body).toMatchObject({ status: 500, code: 'ERR_TOKENVEND_INTERNAL', detail: 'The server failed to handle the request' });
      expect(JSON.stringify(res.body)).not.toContain('refused');
      expect(t.logs.filter((line) => line.msg === 'request failed')).toMatchObject([{ level: 'error', err: { message: 'The signature could not be made: refused' } }]);
      expect(t.logs.filter((line) => line.event === 'signing_thread.failed')).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('/readyz turns 503 while the active signer fails, and back to 200 once a probe signs again', async () => {
    const refusing = await ecApp({ workerUrl: refusesAll, cores: 2 });
    const dying = await ecApp({ workerUrl: exitsOnFirst, cores: 2 });
    try {
      expect((await request(refusing.app).get('/readyz').expect(200)).body.checks).toEqual({ signingKey: 'ok' });
      await mint(refusing, web.key, { orgId: 'org_a' }).expect(500);
      expect((await request(refusing.app).get('/readyz').expect(503)).body).toEqual({ status: 'unavailable', checks: { signingKey: 'down' } });
      await mint(refusing, web.key, { orgId: 'org_a' }).expect(500);

      // A thread that died once is replaced: the probe signs (on the event loop meanwhile), so the replica stays ready.
      await mint(dying, web.key, { orgId: 'org_a' }).expect(503);
      expect((await request(dying.app).get('/readyz').expect(200)).body.checks).toEqual({ signingKey: 'ok' });
      await mint(dying, web.key, { orgId: 'org_a' }).expect(201);
    } finally {
      await Promise.all([refusing.close(), dying.close()]);
    }
  });

  it.each([
    ['on the signing thread (2 cores)', 2],
    ['on the event loop (1 core)', 1],
  ])('signs EC tokens %s that verify against the JWKS', async (_where, cores) => {
    const t = await ecApp({ cores });
    try {
      const tokens = await Promise.all(Array.from({ length: 20 }, () => mint(t, web.key, { orgId: 'org_a' }).expect(201)));
      const jwks = createLocalJWKSet(await jwksOf(t));
      for (const { body } of tokens) await expect(jwtVerify(body.token, jwks, { currentDate: new Date(NOW) })).resolves.toBeDefined();
    } finally {
      await t.close();
    }
  });
});

describe('bodies the parser itself refuses', () => {
  it.each(['gzip', 'deflate'])('a corrupt %s body is a 400, never a 500', async (encoding) => {
    const t = await appWith();
    const res = await request(t.app)
      .post('/tokens')
      .set('Authorization', `Bearer ${web.key}`)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', encoding)
      .send(Buffer.from('definitely not compressed'));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'ERR_TOKENVEND_INVALID_REQUEST', detail: 'The request body could not be read' });
    expect(t.logs.some((line) => line.level === 'error')).toBe(false);
  });
});
