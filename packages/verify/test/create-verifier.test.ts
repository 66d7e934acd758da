import { exportSPKI, SignJWT } from 'jose';
import { createVerifier, type VerifierOptions } from '../src/index.js';
import { causeCode, rejection } from './helpers/rejection.js';
import { deadUrl, startIssuerServer, type IssuerServer } from './helpers/issuer-server.js';
import { claims, createTestKey, mint, mintUnsecured, nowSeconds, tamper, type TestKey } from './helpers/keys.js';

const ALGS = ['ES256', 'RS256', 'EdDSA'] as const;
const keys = {} as Record<(typeof ALGS)[number], TestKey>;
let issuer: IssuerServer;

beforeAll(async () => {
  for (const alg of ALGS) keys[alg] = await createTestKey(alg);
  issuer = await startIssuerServer(ALGS.map((alg) => keys[alg].jwk));
});
afterAll(() => issuer.close());

const verifier = (options: Partial<VerifierOptions> = {}) => createVerifier({ jwksUri: issuer.jwksUri, ...options });

describe('good tokens', () => {
  test.each(ALGS)('accepts %s and returns every claim', async (alg) => {
    const payload = claims({ iss: issuer.url, aud: 'billing', scope: 'reports' });
    const token = await mint(keys[alg], payload);
    await expect(verifier({ issuer: issuer.url, audience: 'billing' })(token)).resolves.toEqual(payload);
  });

  test('accepts when one of several configured audiences is among the token audiences', async () => {
    const payload = claims({ aud: ['ledger', 'billing'] });
    await expect(verifier({ audience: ['billing', 'ops'] })(await mint(keys.ES256, payload))).resolves.toEqual(payload);
  });

  test('accepts a token expired 10 s ago within the default 30 s tolerance', async () => {
    const payload = claims({ exp: nowSeconds() - 10 });
    await expect(verifier()(await mint(keys.ES256, payload))).resolves.toEqual(payload);
  });
});

describe('bad tokens', () => {
  test('rejects a tampered signature', async () => {
    const token = tamper(await mint(keys.RS256));
    const err = await rejection(verifier()(token), token);
    expect(err.code).toBe('ERR_TOKENVEND_TOKEN_INVALID');
    expect(err.message).toBe('Token is invalid (ERR_JWS_SIGNATURE_VERIFICATION_FAILED)');
    expect(causeCode(err)).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  test('rejects something that is not a JWT', async () => {
    const err = await rejection(verifier()('not-a-jwt'), 'not-a-jwt');
    expect(err.code).toBe('ERR_TOKENVEND_TOKEN_INVALID');
    expect(causeCode(err)).toBe('ERR_JWS_INVALID');
  });

  test('rejects a token expired beyond the tolerance', async () => {
    const token = await mint(keys.ES256, claims({ exp: nowSeconds() - 31 }));
    const err = await rejection(verifier()(token), token);
    expect(err.code).toBe('ERR_TOKENVEND_TOKEN_EXPIRED');
    expect(err.message).toBe('Token has expired');
    expect(causeCode(err)).toBe('ERR_JWT_EXPIRED');
  });

  test('honours clockToleranceSeconds', async () => {
    const token = await mint(keys.ES256, claims({ exp: nowSeconds() - 10 }));
    expect((await rejection(verifier({ clockToleranceSeconds: 0 })(token), token)).code).toBe('ERR_TOKENVEND_TOKEN_EXPIRED');
  });

  test.each([
    ['iss', 'a wrong issuer', { iss: 'https://impostor.example' }, 'Token claim "iss" is invalid'],
    ['iss', 'no issuer', { iss: undefined }, 'Token claim "iss" is missing'],
    ['aud', 'a wrong audience', { aud: ['ledger'] }, 'Token claim "aud" is invalid'],
    ['aud', 'no audience', { aud: undefined }, 'Token claim "aud" is missing'],
    ['orgId', 'no orgId', { orgId: undefined }, 'Token claim "orgId" is missing'],
    ['orgId', 'an empty orgId', { orgId: '' }, 'Token claim "orgId" must be a non-empty string'],
    ['orgId', 'a numeric orgId', { orgId: 42 }, 'Token claim "orgId" must be a non-empty string'],
    ['jti', 'no jti', { jti: undefined }, 'Token claim "jti" is missing'],
    ['exp', 'no exp', { exp: undefined }, 'Token claim "exp" is missing'],
    ['iat', 'no iat', { iat: undefined }, 'Token claim "iat" is missing'],
  ])('rejects claim %s: %s', async (claim, _case, overrides, message) => {
    const token = await mint(keys.ES256, claims({ iss: issuer.url, aud: 'billing', ...overrides }));
    const err = await rejection(verifier({ issuer: issuer.url, audience: 'billing' })(token), token);
    expect({ code: err.code, claim: err.claim, message: err.message }).toEqual({
      code: 'ERR_TOKENVEND_CLAIM_INVALID',
      claim,
      message,
    });
  });
});

describe('algorithm attacks', () => {
  test('rejects alg "none" without fetching the JWKS', async () => {
    const server = await startIssuerServer([keys.ES256.jwk]);
    const token = mintUnsecured(claims(), keys.ES256.kid);
    const err = await rejection(createVerifier({ jwksUri: server.jwksUri })(token), token);
    expect(err.code).toBe('ERR_TOKENVEND_TOKEN_INVALID');
    expect(causeCode(err)).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
    expect(server.hits.jwks).toBe(0);
    await server.close();
  });

  test('rejects HS256 signed with the public RSA key as the secret (algorithm confusion)', async () => {
    const publicPem = await exportSPKI(keys.RS256.publicKey);
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: keys.RS256.kid })
      .sign(new TextEncoder().encode(publicPem));
    const err = await rejection(verifier()(token), token);
    expect(err.code).toBe('ERR_TOKENVEND_TOKEN_INVALID');
    expect(causeCode(err)).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
  });

  test('rejects an allowed algorithm the key is not published for', async () => {
    const token = await mint(keys.ES256);
    const err = await rejection(verifier({ algorithms: ['RS256'] })(token), token);
    expect(causeCode(err)).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
  });
});

describe('key rotation', () => {
  test('finds a newly published kid once the cooldown has passed, not before', async () => {
    const server = await startIssuerServer([keys.ES256.jwk]);
    const verify = createVerifier({ jwksUri: server.jwksUri, jwksCooldownMs: 200 });
    await verify(await mint(keys.ES256));
    expect(server.hits.jwks).toBe(1);

    const next = await createTestKey('ES256');
    server.keys.push(next.jwk);
    const token = await mint(next);
    const err = await rejection(verify(token), token);
    expect(err.code).toBe('ERR_TOKENVEND_TOKEN_INVALID');
    expect(causeCode(err)).toBe('ERR_JWKS_NO_MATCHING_KEY');
    expect(server.hits.jwks).toBe(1);

    await new Promise((resolve) => setTimeout(resolve, 250));
    await expect(verify(token)).resolves.toMatchObject({ orgId: 'org-a' });
    expect(server.hits.jwks).toBe(2);
    await server.close();
  });
});

describe('JWKS unavailable', () => {
  test('reports a refused connection as ERR_TOKENVEND_JWKS_UNAVAILABLE', async () => {
    const token = await mint(keys.ES256);
    const err = await rejection(createVerifier({ jwksUri: await deadUrl() })(token), token);
    expect(err.code).toBe('ERR_TOKENVEND_JWKS_UNAVAILABLE');
    expect(err.message).toBe('The JWKS could not be retrieved');
    expect(err.unavailable).toBe(true);
    expect(err.cause).toMatchObject({ name: 'TypeError', message: 'fetch failed' }); // undici; cross-realm under jest, so no instanceof
  });

  test('reports a 500 as unavailable, then recovers on the next call', async () => {
    const server = await startIssuerServer([keys.ES256.jwk]);
    server.status.jwks = 500;
    const verify = createVerifier({ jwksUri: server.jwksUri });
    const token = await mint(keys.ES256);
    expect((await rejection(verify(token), token)).code).toBe('ERR_TOKENVEND_JWKS_UNAVAILABLE');

    server.status.jwks = 200;
    await expect(verify(token)).resolves.toMatchObject({ orgId: 'org-a' });
    expect(server.hits.jwks).toBe(2);
    await server.close();
  });

  test('reports a malformed JWKS as unavailable', async () => {
    const server = await startIssuerServer(['not a key'] as never);
    const token = await mint(keys.ES256);
    expect((await rejection(createVerifier({ jwksUri: server.jwksUri })(token), token)).code).toBe(
      'ERR_TOKENVEND_JWKS_UNAVAILABLE',
    );
    await server.close();
  });
});
