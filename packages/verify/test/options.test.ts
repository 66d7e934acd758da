import { createVerifier, requireOrgToken, VerifierConfigError, type VerifierOptions } from '../src/index.js';
import { parseVerifierOptions } from '../src/options.js';

const jwksUri = 'https://tokens.example.com/.well-known/jwks.json';

function configError(build: () => unknown): VerifierConfigError {
  try {
    build();
  } catch (err) {
    expect(err).toBeInstanceOf(VerifierConfigError);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as VerifierConfigError).code).toBe('ERR_TOKENVEND_VERIFIER_CONFIG');
    return err as VerifierConfigError;
  }
  throw new Error('construction should have thrown');
}

test('fills in every default', () => {
  expect(parseVerifierOptions({ jwksUri })).toEqual({
    keySource: { jwksUri: new URL(jwksUri) },
    issuer: undefined,
    audience: undefined,
    algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
    typ: ['jwt', 'at+jwt'],
    clockToleranceSeconds: 30,
    jwksCooldownMs: 30_000,
    jwksCacheMaxAgeMs: 600_000,
    timeoutMs: 5_000,
    fetch: undefined,
  });
});

test.each([
  ['https://tokens.example.com', 'https://tokens.example.com/.well-known/openid-configuration'],
  ['https://example.com/tenant/', 'https://example.com/tenant/.well-known/openid-configuration'],
])('derives the discovery URL of issuer %s (OpenID Connect Discovery §4)', (issuer, discoveryUri) => {
  expect(parseVerifierOptions({ issuer }).keySource).toEqual({ discoveryUri: new URL(discoveryUri), issuer });
});

test('prefers an explicit jwksUri over discovery', () => {
  expect(parseVerifierOptions({ jwksUri, issuer: 'urn:tokenvend' }).keySource).toEqual({ jwksUri: new URL(jwksUri) });
});

test.each<[string, VerifierOptions, string]>([
  ['jwksUri', {}, 'tokenvend/verify: "jwksUri" or "issuer" or "keys" is required to locate the signing keys'],
  ['jwksUri', { jwksUri: 'not a url' }, 'tokenvend/verify: "jwksUri" must be an absolute http(s) URL'],
  ['jwksUri', { jwksUri: 'ftp://example.com/jwks' }, 'tokenvend/verify: "jwksUri" must be an absolute http(s) URL'],
  ['issuer', { issuer: 'tokens.example.com' }, 'tokenvend/verify: "issuer" must be an absolute http(s) URL'],
  ['issuer', { issuer: '' }, 'tokenvend/verify: "issuer" must be a non-empty string'],
  ['issuer', { issuer: 'https://example.com/?tenant=a' }, 'tokenvend/verify: "issuer" must not contain a query or fragment (OpenID Connect Discovery §2)'],
  ['audience', { jwksUri, audience: [] }, 'tokenvend/verify: "audience" must be a non-empty string or a non-empty array of them'],
  ['algorithms', { jwksUri, algorithms: [] }, 'tokenvend/verify: "algorithms" must be a non-empty array'],
  [
    'algorithms',
    { jwksUri, algorithms: ['ES256', 'HS256'] as never },
    'tokenvend/verify: "algorithms" must not contain "HS256": HMAC secrets are never published, and accepting HMAC invites algorithm confusion (RFC 8725 §2.1)',
  ],
  ['algorithms', { jwksUri, algorithms: ['none'] as never }, 'tokenvend/verify: "algorithms" must not contain "none": unsigned tokens are never accepted'],
  [
    'algorithms',
    { jwksUri, algorithms: ['RSA-OAEP'] as never },
    'tokenvend/verify: "algorithms" contains unsupported "RSA-OAEP"; use any of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA',
  ],
  ['clockToleranceSeconds', { jwksUri, clockToleranceSeconds: -1 }, 'tokenvend/verify: "clockToleranceSeconds" must be a finite, non-negative number'],
  ['jwksCooldownMs', { jwksUri, jwksCooldownMs: Number.NaN }, 'tokenvend/verify: "jwksCooldownMs" must be a finite, non-negative number'],
  ['timeoutMs', { jwksUri, timeoutMs: 1.5 }, 'tokenvend/verify: "timeoutMs" must be a positive integer'],
  ['fetch', { jwksUri, fetch: 'fetch' as never }, 'tokenvend/verify: "fetch" must be a function'],
])('createVerifier rejects a bad %s: %j', (option, options, message) => {
  const err = configError(() => createVerifier(options));
  expect({ option: err.option, message: err.message }).toEqual({ option, message });
});

test('requireOrgToken rejects an empty org allow-list at construction', () => {
  const err = configError(() => requireOrgToken({ jwksUri, orgs: [] }));
  expect(err.message).toBe('tokenvend/verify: "orgs" must be a non-empty array of non-empty strings');
});
