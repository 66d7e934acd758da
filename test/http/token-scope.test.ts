/** Vapi scopes on POST /tokens: the `token` claim, the caller's tags and restrictions, every refusal. */
import { randomUUID } from 'node:crypto';
import jsonwebtoken from 'jsonwebtoken';
import request from 'supertest';
import { buildApp, type TestApp } from '../support/build-app.js';
import { callersJson, testCaller } from '../support/callers.js';
import { p256Key } from '../support/keys.js';

const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
const APP = 'https://app.example.com';
const STAGING = 'https://staging.example.com';
const ASSISTANT_A = '7b1c0a55-1d2e-4a3b-9c8d-0e1f2a3b4c5d';
const ASSISTANT_B = 'assistant_b';

/** A trusted backend: private by default, public on request, no restrictions of its own. */
const backend = testCaller('backend', { tags: ['private', 'public'] });
/** A frontend backend: public only, within its origins and assistants. */
const frontend = testCaller('frontend', {
  tags: ['public'],
  restrictions: { allowedOrigins: [APP, STAGING], allowedAssistantIds: [ASSISTANT_A, ASSISTANT_B] },
});
/** Public only, transient assistants explicitly refused, no lists. */
const noTransient = testCaller('no-transient', { tags: ['public'], restrictions: { allowTransientAssistant: false } });
/** A caller from before scopes: no tags, tokens without a `token` claim. */
const legacy = testCaller('legacy');

const SECRET = randomUUID(); // a Vapi private key is a UUID string
const ORG = randomUUID();

let t: TestApp;
beforeAll(async () => {
  t = await buildApp(
    { NODE_ENV: 'production', PRIVATE_KEY: SECRET, ORG_ID: ORG, CALLERS: callersJson(backend, frontend, noTransient, legacy) },
    { clock: () => NOW },
  );
});
afterAll(() => t.close());

const mint = (key: string, body: unknown) => request(t.app).post('/tokens').set('Authorization', `Bearer ${key}`).send(body as object);
const claimsOf = (token: string) => jsonwebtoken.verify(token, SECRET, { algorithms: ['HS256'], clockTimestamp: NOW / 1000 }) as Record<string, unknown>;

describe('the token claim', () => {
  it('is { tag: "private" } by default for a caller whose first tag is private, signed as Vapi verifies it (HS256, its private key)', async () => {
    const { body } = await mint(backend.key, {}).expect(201);
    const claims = claimsOf(body.token);
    expect(claims).toEqual({ orgId: ORG, token: { tag: 'private' }, iat: NOW / 1000, exp: NOW / 1000 + 3600, jti: expect.any(String) });
  });

  it('is the requested tag when the caller may mint it', async () => {
    const { body } = await mint(backend.key, { tag: 'public' }).expect(201);
    expect(claimsOf(body.token).token).toEqual({ tag: 'public' });
  });

  it("carries the caller's restrictions, enabled, on a public token that asks for none", async () => {
    const { body } = await mint(frontend.key, {}).expect(201);
    expect(claimsOf(body.token).token).toEqual({
      tag: 'public',
      restrictions: { enabled: true, allowedOrigins: [APP, STAGING], allowedAssistantIds: [ASSISTANT_A, ASSISTANT_B] },
    });
  });

  it("narrows the caller's restrictions field by field: an omitted field keeps the caller's value", async () => {
    const { body } = await mint(frontend.key, { tag: 'public', restrictions: { allowedOrigins: [APP] } }).expect(201);
    expect(claimsOf(body.token).token).toEqual({
      tag: 'public',
      restrictions: { enabled: true, allowedOrigins: [APP], allowedAssistantIds: [ASSISTANT_A, ASSISTANT_B] },
    });
  });

  it('takes restrictions from a caller without any of its own, and keeps enabled as the request set it', async () => {
    const { body } = await mint(backend.key, { tag: 'public', restrictions: { enabled: false, allowedAssistantIds: [ASSISTANT_A], allowTransientAssistant: false } }).expect(201);
    expect(claimsOf(body.token).token).toEqual({
      tag: 'public',
      restrictions: { enabled: false, allowedAssistantIds: [ASSISTANT_A], allowTransientAssistant: false },
    });
  });

  it('is absent for a caller without tags, exactly as before scopes', async () => {
    const { body } = await mint(legacy.key, { orgId: 'org_a' }).expect(201);
    expect(claimsOf(body.token)).not.toHaveProperty('token');
  });

  it('is counted and audited by tag (none, private, public)', async () => {
    const before = t.logs.length;
    await mint(backend.key, {}).expect(201);
    await mint(frontend.key, {}).expect(201);
    await mint(legacy.key, {}).expect(201);
    const tags = t.logs.slice(before).filter((line) => line.event === 'token.issued').map((line) => [line.caller, line.tag]);
    expect(tags).toEqual([['backend', 'private'], ['frontend', 'public'], ['legacy', 'none']]);
    const text = await t.metrics.registry.getSingleMetricAsString('tokenvend_tokens_issued_total');
    for (const [caller, tag] of tags) expect(text).toMatch(new RegExp(`tokenvend_tokens_issued_total\\{caller="${caller}",alg="HS256",tag="${tag}"\\} [1-9]`));
  });
});

describe('refusals: never silently narrowed or widened, nothing issued', () => {
  const refusals: Array<[string, () => { key: string; body: unknown }, number, RegExp]> = [
    ['a tag the caller may not mint', () => ({ key: frontend.key, body: { tag: 'private' } }), 403, /may not request "private" tokens/],
    ['a tag from a caller without tags', () => ({ key: legacy.key, body: { tag: 'private' } }), 403, /without a scope/],
    ['restrictions from a caller without tags', () => ({ key: legacy.key, body: { restrictions: {} } }), 403, /without a scope/],
    ['restrictions on a private token', () => ({ key: backend.key, body: { tag: 'private', restrictions: { allowedOrigins: [APP] } } }), 400, /restrictions apply to public tokens only/],
    ['restrictions on the default (private) tag', () => ({ key: backend.key, body: { restrictions: { allowedOrigins: [APP] } } }), 400, /restrictions apply to public tokens only/],
    ['an origin outside the caller\'s', () => ({ key: frontend.key, body: { restrictions: { allowedOrigins: [APP, 'https://evil.example'] } } }), 403, /allowedOrigins names an origin/],
    ['an assistant outside the caller\'s', () => ({ key: frontend.key, body: { restrictions: { allowedAssistantIds: ['other'] } } }), 403, /allowedAssistantIds names an assistant id/],
    ['transient assistants where the caller names assistants', () => ({ key: frontend.key, body: { restrictions: { allowTransientAssistant: true } } }), 403, /transient assistants/],
    ['transient assistants where the caller refuses them', () => ({ key: noTransient.key, body: { restrictions: { allowTransientAssistant: true } } }), 403, /transient assistants/],
    ['an unknown tag', () => ({ key: backend.key, body: { tag: 'admin' } }), 400, /tag must be "private" or "public"/],
    ['a tag that is not a string', () => ({ key: backend.key, body: { tag: ['public'] } }), 400, /tag must be "private" or "public"/],
    ['restrictions that are not an object', () => ({ key: backend.key, body: { tag: 'public', restrictions: [APP] } }), 400, /restrictions must be an object/],
    ['an unknown restriction field', () => ({ key: backend.key, body: { tag: 'public', restrictions: { allowedOrigin: [APP] } } }), 400, /Unknown field in restrictions "allowedOrigin"; allowed: enabled, allowedOrigins/],
    ['an origin with a path', () => ({ key: backend.key, body: { tag: 'public', restrictions: { allowedOrigins: [`${APP}/call`] } } }), 400, /restrictions.allowedOrigins must be origins/],
    ['an origin with a trailing slash', () => ({ key: backend.key, body: { tag: 'public', restrictions: { allowedOrigins: [`${APP}/`] } } }), 400, /restrictions.allowedOrigins must be origins/],
    ['an origin in capitals', () => ({ key: backend.key, body: { tag: 'public', restrictions: { allowedOrigins: ['https://APP.example.com'] } } }), 400, /restrictions.allowedOrigins must be origins/],
    ['an origin of another scheme', () => ({ key: backend.key, body: { tag: 'public', restrictions: { allowedOrigins: ['ftp://app.example.com'] } } }), 400, /restrictions.allowedOrigins must be origins/],
    ['an empty origin list', () => ({ key: backend.key, body: { tag: 'public', restrictions: { allowedOrigins: [] } } }), 400, /restrictions.allowedOrigins must list at least one origin/],
    ['an assistant id with forbidden characters', () => ({ key: backend.key, body: { tag: 'public', restrictions: { allowedAssistantIds: ['a b'] } } }), 400, /restrictions.allowedAssistantIds must be ids/],
    ['enabled that is not a boolean', () => ({ key: backend.key, body: { tag: 'public', restrictions: { enabled: 'yes' } } }), 400, /restrictions.enabled must be true or false/],
  ];

  it.each(refusals)('%s: refused with problem+json, nothing issued', async (_name, make, status, detail) => {
    const { key, body } = make();
    const before = t.logs.filter((line) => line.event === 'token.issued').length;
    const res = await mint(key, body).expect(status);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.body).toMatchObject({ status, code: status === 403 ? 'ERR_TOKENVEND_FORBIDDEN' : 'ERR_TOKENVEND_INVALID_REQUEST', detail: expect.stringMatching(detail) });
    expect(res.body).not.toHaveProperty('token');
    expect(t.logs.filter((line) => line.event === 'token.issued').length).toBe(before);
    expect(JSON.stringify(t.logs.at(-1))).not.toContain(key);
  });

  it('audits a refusal with the caller and the org it asked for', async () => {
    await mint(frontend.key, { orgId: 'org_x', tag: 'private' }).expect(403);
    expect(t.logs.at(-1)).toMatchObject({ event: 'token.rejected', caller: 'frontend', orgId: 'org_x', reason: 'forbidden', status: 403 });
  });
});

describe('CALLERS entries with tags and restrictions are validated at start-up', () => {
  const key = p256Key().pkcs8;
  const startWith = (fields: Record<string, unknown>) => buildApp({ NODE_ENV: 'production', PRIVATE_KEY: key, CALLERS: callersJson(testCaller('fe', fields)) });

  it.each([
    ['restrictions without the public tag', { tags: ['private'], restrictions: { allowedOrigins: [APP] } }, /entry 0 \("fe"\): restrictions apply to public tokens; add "public" to tags/],
    ['restrictions without tags', { restrictions: { allowedOrigins: [APP] } }, /restrictions apply to public tokens/],
    ['an unknown tag', { tags: ['admin'] }, /CALLERS: entry 0 \("fe"\): .*must be "private" or "public"/],
    ['an empty tag list', { tags: [] }, /must list at least one tag/],
    ['a repeated tag', { tags: ['public', 'public'] }, /must not repeat a tag/],
    ['an origin that is not an origin', { tags: ['public'], restrictions: { allowedOrigins: [`${APP}/path`] } }, /must be origins/],
    ['an unknown restriction field', { tags: ['public'], restrictions: { origins: [APP] } }, /unknown field\(s\) origins/],
  ])('%s stops start-up naming the entry', async (_name, fields, message) => {
    await expect(startWith(fields)).rejects.toThrow(message);
  });
});
