/** The Vapi API double itself: every rule it claims from Vapi's published behaviour, with tokens signed as Vapi's page signs them. */
import { randomUUID } from 'node:crypto';
import jsonwebtoken from 'jsonwebtoken';
import { MISSING_TOKEN_MESSAGE, startVapiApiDouble, vapiAssistant, type VapiApiDouble } from './vapi-api-double.js';

// Vapi's org ids and private keys are UUIDs.
const ORG = randomUUID();
const OTHER_ORG = randomUUID();
const KEY = randomUUID();
const OTHER_KEY = randomUUID();
const riley = vapiAssistant(ORG, 'Riley');
const sam = vapiAssistant(ORG, 'Sam');
const elsewhere = vapiAssistant(OTHER_ORG, 'Elsewhere');
const ALLOWED_ORIGIN = 'https://app.example.com';

/** As Vapi's "JWT Authentication" page does it: jsonwebtoken, the org's private key, `expiresIn: '1h'` (HS256 by default). */
function vapiJwt(token: unknown, { orgId = ORG, key = KEY, options = {} as jsonwebtoken.SignOptions } = {}): string {
  const payload = token === undefined ? { orgId } : { orgId, token };
  return jsonwebtoken.sign(payload, key, { expiresIn: '1h', ...options });
}

let vapi: VapiApiDouble;
beforeAll(async () => {
  vapi = await startVapiApiDouble({ orgKeys: { [ORG]: KEY, [OTHER_ORG]: OTHER_KEY }, assistants: [riley, sam, elsewhere] });
});
afterAll(async () => {
  await vapi.stop();
});
beforeEach(() => vapi.clear());

interface Sent {
  status: number;
  body: unknown;
  headers: Headers;
}

async function call(method: string, path: string, jwt: string | undefined, { body, origin }: { body?: unknown; origin?: string } = {}): Promise<Sent> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (jwt !== undefined) headers.authorization = `Bearer ${jwt}`;
  if (origin !== undefined) headers.origin = origin;
  const response = await fetch(`${vapi.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: await response.json(), headers: response.headers };
}

const webCall = (jwt: string, body: unknown, origin?: string) => call('POST', '/call/web', jwt, { body, ...(origin ? { origin } : {}) });
const forbidden = (message: string) => ({ message, error: 'Forbidden', statusCode: 403 });

describe('private tokens', () => {
  const privateJwt = () => vapiJwt({ tag: 'private' });

  it('list the assistants of their own org only, in the shape the server SDK reads', async () => {
    const { status, body } = await call('GET', '/assistant', privateJwt());
    expect(status).toBe(200);
    expect(body).toEqual([riley, sam]);
    const other = await call('GET', '/assistant', vapiJwt({ tag: 'private' }, { orgId: OTHER_ORG, key: OTHER_KEY }));
    expect(other.body).toEqual([elsewhere]);
  });

  it('create web calls too (201, a Call with a webCallUrl)', async () => {
    const { status, body } = await webCall(privateJwt(), { assistantId: riley.id });
    expect(status).toBe(201);
    expect(body).toMatchObject({ orgId: ORG, type: 'webCall', status: 'queued', assistantId: riley.id, webCallUrl: expect.stringContaining(vapi.baseUrl) });
  });

  it('ignore the restrictions that only public tokens have', async () => {
    const jwt = vapiJwt({ tag: 'private', restrictions: { allowedOrigins: [ALLOWED_ORIGIN], allowedAssistantIds: [sam.id] } });
    expect((await webCall(jwt, { assistantId: riley.id }, 'https://evil.example')).status).toBe(201);
    expect((await call('GET', '/assistant', jwt)).status).toBe(200);
  });
});

describe('public tokens', () => {
  it('create web calls, and nothing else', async () => {
    const jwt = vapiJwt({ tag: 'public' });
    expect((await webCall(jwt, { assistantId: riley.id })).status).toBe(201);
    const listing = await call('GET', '/assistant', jwt);
    expect(listing).toMatchObject({ status: 403, body: forbidden('A public JWT only permits POST /call/web, not GET /assistant.') });
  });

  it('are refused from an origin not in allowedOrigins, or with no Origin at all', async () => {
    const jwt = vapiJwt({ tag: 'public', restrictions: { allowedOrigins: [ALLOWED_ORIGIN] } });
    expect((await webCall(jwt, { assistantId: riley.id }, ALLOWED_ORIGIN)).status).toBe(201);
    expect(await webCall(jwt, { assistantId: riley.id }, 'https://evil.example')).toMatchObject({
      status: 403,
      body: forbidden("Origin https://evil.example is not in the JWT's allowedOrigins."),
    });
    // The exact origin only: another port or scheme of the same host is another origin.
    expect((await webCall(jwt, { assistantId: riley.id }, 'http://app.example.com')).status).toBe(403);
    expect((await webCall(jwt, { assistantId: riley.id })).status).toBe(403);
  });

  it('are refused for an assistantId not in allowedAssistantIds', async () => {
    const jwt = vapiJwt({ tag: 'public', restrictions: { allowedAssistantIds: [riley.id] } });
    expect((await webCall(jwt, { assistantId: riley.id })).status).toBe(201);
    expect(await webCall(jwt, { assistantId: sam.id })).toMatchObject({
      status: 403,
      body: forbidden(`assistantId ${sam.id} is not in the JWT's allowedAssistantIds.`),
    });
    expect((await webCall(jwt, { squadId: randomUUID() })).status).toBe(403);
  });

  it('are refused a transient assistant when allowedAssistantIds is set (allowTransientAssistant is then automatically false)', async () => {
    const jwt = vapiJwt({ tag: 'public', restrictions: { allowedAssistantIds: [riley.id], allowTransientAssistant: true } });
    expect(await webCall(jwt, { assistant: { firstMessage: 'Hi' } })).toMatchObject({
      status: 403,
      body: forbidden('The JWT does not permit a transient assistant.'),
    });
  });

  it('are refused a transient assistant when allowTransientAssistant is false, and allowed one by default', async () => {
    const refused = vapiJwt({ tag: 'public', restrictions: { allowTransientAssistant: false } });
    expect((await webCall(refused, { assistant: { firstMessage: 'Hi' } })).status).toBe(403);
    expect((await webCall(refused, { assistantId: riley.id })).status).toBe(201);
    const byDefault = vapiJwt({ tag: 'public', restrictions: { allowedOrigins: [ALLOWED_ORIGIN] } });
    expect((await webCall(byDefault, { assistant: { firstMessage: 'Hi' } }, ALLOWED_ORIGIN)).status).toBe(201);
  });
});

describe('refusals of the token itself', () => {
  it('a JWT without `token` gets 403 telling you that you may be missing `token` in your JWT', async () => {
    const sent = await call('GET', '/assistant', vapiJwt(undefined));
    expect(sent).toMatchObject({ status: 403, body: { message: MISSING_TOKEN_MESSAGE, error: 'Forbidden', statusCode: 403 } });
    expect(MISSING_TOKEN_MESSAGE).toContain('you may be missing `token` in your JWT');
    expect((await webCall(vapiJwt(undefined), { assistantId: riley.id })).status).toBe(403);
  });

  it.each<[string, unknown]>([
    ['a string', 'private'],
    ['no tag', {}],
    ['an unknown tag', { tag: 'admin' }],
  ])('a `token` with %s is refused the same way', async (_name, token) => {
    expect(await call('GET', '/assistant', vapiJwt(token))).toMatchObject({ status: 403, body: { message: MISSING_TOKEN_MESSAGE } });
  });

  it.each(['private', 'public'])('restrictions.enabled: false disables a %s token', async (tag) => {
    const jwt = vapiJwt({ tag, restrictions: { enabled: false } });
    expect(await webCall(jwt, { assistantId: riley.id })).toMatchObject({
      status: 403,
      body: forbidden('JWT is disabled (token.restrictions.enabled is false).'),
    });
  });

  it.each<[string, () => string | undefined]>([
    ['no Authorization', () => undefined],
    ['an expired token', () => vapiJwt({ tag: 'private' }, { options: { expiresIn: -10 } })],
    ['a token signed with another key', () => vapiJwt({ tag: 'private' }, { key: randomUUID() })],
    ["a token signed with another org's key", () => vapiJwt({ tag: 'private' }, { key: OTHER_KEY })],
    ['a token of an unknown org', () => vapiJwt({ tag: 'private' }, { orgId: randomUUID() })],
    ['a token without orgId', () => jsonwebtoken.sign({ token: { tag: 'private' } }, KEY, { expiresIn: '1h' })],
    ['an HS384 token (HS256 only)', () => vapiJwt({ tag: 'private' }, { options: { algorithm: 'HS384' } })],
    ['an unsigned token', () => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ orgId: ORG, token: { tag: 'private' } })).toString('base64url')}.`],
    ['not a JWT', () => 'not-a-jwt'],
  ])('%s gets 401', async (_name, jwt) => {
    const sent = await call('GET', '/assistant', jwt());
    expect(sent.status).toBe(401);
    expect(sent.body).toMatchObject({ error: 'Unauthorized', statusCode: 401 });
    expect(JSON.stringify(sent.body)).not.toContain(KEY);
  });
});

describe('HTTP', () => {
  it('answers a CORS preflight from any origin with the headers the SDKs send', async () => {
    const response = await fetch(`${vapi.baseUrl}/call/web`, {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1:1234', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:1234');
    expect(response.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('lets a browser read a refusal too (CORS headers on every answer)', async () => {
    const sent = await webCall(vapiJwt({ tag: 'public', restrictions: { allowedOrigins: [ALLOWED_ORIGIN] } }), { assistantId: riley.id }, 'http://127.0.0.1:1234');
    expect(sent.status).toBe(403);
    expect(sent.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:1234');
  });

  it('refuses an unknown route (404), a body that is not JSON and an assistant the org does not have (400)', async () => {
    const jwt = vapiJwt({ tag: 'private' });
    expect(await call('GET', '/call', jwt)).toMatchObject({ status: 404, body: { message: 'Cannot GET /call', statusCode: 404 } });
    const response = await fetch(`${vapi.baseUrl}/call/web`, { method: 'POST', headers: { authorization: `Bearer ${jwt}` }, body: '{' });
    expect(response.status).toBe(400);
    expect((await webCall(jwt, { assistantId: elsewhere.id })).status).toBe(400);
    expect((await webCall(jwt, {})).status).toBe(400);
  });

  it('records every request with its headers, body, claims and answer', async () => {
    const jwt = vapiJwt({ tag: 'public' });
    await webCall(jwt, { assistantId: riley.id }, ALLOWED_ORIGIN);
    await call('GET', '/assistant', jwt);
    expect(vapi.requests).toEqual([
      {
        method: 'POST',
        path: '/call/web',
        authorization: `Bearer ${jwt}`,
        origin: ALLOWED_ORIGIN,
        body: { assistantId: riley.id },
        status: 201,
        response: expect.objectContaining({ type: 'webCall' }),
        claims: expect.objectContaining({ orgId: ORG, token: { tag: 'public' } }),
      },
      expect.objectContaining({ method: 'GET', path: '/assistant', status: 403, claims: expect.objectContaining({ orgId: ORG }) }),
    ]);
  });
});
