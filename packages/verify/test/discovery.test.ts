import { createVerifier } from '../src/index.js';
import { causeCode, rejection } from './helpers/rejection.js';
import { deadUrl, startIssuerServer, type IssuerServer } from './helpers/issuer-server.js';
import { claims, createTestKey, mint, type TestKey } from './helpers/keys.js';

let key: TestKey;
let server: IssuerServer;

beforeAll(async () => {
  key = await createTestKey('ES256');
});
beforeEach(async () => {
  server = await startIssuerServer([key.jwk]);
});
afterEach(() => server.close());

const tokenFrom = (iss: string) => mint(key, claims({ iss }));

test('discovers jwks_uri lazily, once, sharing the in-flight request', async () => {
  const verify = createVerifier({ issuer: server.url });
  expect(server.hits.discovery).toBe(0);

  const token = await tokenFrom(server.url);
  await Promise.all([verify(token), verify(token), verify(token)]);
  await verify(token);
  expect(server.hits).toEqual({ discovery: 1, jwks: 1 });
});

test('discovers from an issuer with a trailing slash and still checks iss exactly', async () => {
  const issuer = `${server.url}/`;
  server.discovery = { ...server.discovery, issuer };
  const verify = createVerifier({ issuer });
  await expect(verify(await tokenFrom(issuer))).resolves.toMatchObject({ iss: issuer });

  const token = await tokenFrom(server.url);
  expect((await rejection(verify(token), token)).claim).toBe('iss');
});

test('rejects a discovery document that names another issuer', async () => {
  server.discovery = { ...server.discovery, issuer: 'https://impostor.example' };
  const token = await tokenFrom(server.url);
  const err = await rejection(createVerifier({ issuer: server.url })(token), token);
  expect(err.code).toBe('ERR_TOKENVEND_DISCOVERY_FAILED');
  expect(err.message).toBe('OpenID discovery failed: the OpenID configuration names a different issuer');
  expect(err.unavailable).toBe(true);
  expect(server.hits.jwks).toBe(0);
});

test('rejects a discovery document without a usable jwks_uri', async () => {
  server.discovery = { issuer: server.url, jwks_uri: 'file:///etc/passwd' };
  const token = await tokenFrom(server.url);
  const err = await rejection(createVerifier({ issuer: server.url })(token), token);
  expect(err.message).toBe('OpenID discovery failed: the OpenID configuration has no valid http(s) "jwks_uri"');
});

test('retries a failed discovery on the next call instead of caching the failure', async () => {
  server.status.discovery = 503;
  const verify = createVerifier({ issuer: server.url });
  const token = await tokenFrom(server.url);
  const err = await rejection(verify(token), token);
  expect(err.code).toBe('ERR_TOKENVEND_DISCOVERY_FAILED');
  expect(err.message).toBe('OpenID discovery failed: the OpenID configuration request answered 503, expected 200');

  server.status.discovery = 200;
  await expect(verify(token)).resolves.toMatchObject({ orgId: 'org-a' });
  expect(server.hits.discovery).toBe(2);
});

test('reports an unreachable issuer as ERR_TOKENVEND_DISCOVERY_FAILED', async () => {
  const issuer = new URL(await deadUrl('/')).origin;
  const token = await tokenFrom(issuer);
  const err = await rejection(createVerifier({ issuer })(token), token);
  expect(err.code).toBe('ERR_TOKENVEND_DISCOVERY_FAILED');
  expect(err.message).toBe('OpenID discovery failed: the OpenID configuration request failed');
  expect(err.cause).toMatchObject({ name: 'TypeError', message: 'fetch failed' }); // undici; cross-realm under jest, so no instanceof
});

test('rejects a bad token before any discovery traffic', async () => {
  const err = await rejection(createVerifier({ issuer: server.url })('garbage'), 'garbage');
  expect(causeCode(err)).toBe('ERR_JWS_INVALID');
  expect(server.hits).toEqual({ discovery: 0, jwks: 0 });
});

test('uses the fetch option for discovery and the JWKS', async () => {
  const seen: string[] = [];
  const verify = createVerifier({
    issuer: server.url,
    fetch: (url, init) => {
      seen.push(url);
      return fetch(url, init);
    },
  });
  await verify(await tokenFrom(server.url));
  expect(seen).toEqual([`${server.url}/.well-known/openid-configuration`, server.jwksUri]);
});

test('refuses an http jwks_uri from an https issuer (no downgrade of where the keys come from)', async () => {
  const issuer = 'https://tokens.example';
  const key = await createTestKey('ES256');
  const token = await mint(key, claims({ iss: issuer }));
  const requested: string[] = [];
  // The discovery document of an https issuer, served through the verifier's fetch option.
  const fetchDiscovery = async (input: string | URL | Request): Promise<Response> => {
    requested.push(String(input));
    return new Response(JSON.stringify({ issuer, jwks_uri: 'http://tokens.example/.well-known/jwks.json' }), { headers: { 'content-type': 'application/json' } });
  };
  const err = await rejection(createVerifier({ issuer, fetch: fetchDiscovery })(token), token);
  expect(err.code).toBe('ERR_TOKENVEND_DISCOVERY_FAILED');
  expect(err.message).toBe('OpenID discovery failed: the OpenID configuration has no valid https "jwks_uri"');
  expect(requested).toEqual(['https://tokens.example/.well-known/openid-configuration']);
});
