/** The contract checker itself: it must reject each kind of mismatch, with a message that says which. */
import {
  expectToMatchComponentResponse,
  expectToMatchSchema,
  expectToMatchSpec,
  type ResponseLike,
} from '../support/openapi-contract.js';

const PROBLEM = 'application/problem+json; charset=utf-8';

function response(status: number, headers: Record<string, string>, body?: unknown): ResponseLike {
  return { status, headers, text: body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body) };
}

const issued = () =>
  response(
    201,
    { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', pragma: 'no-cache' },
    { token: 'aaa.bbb.ccc', tokenType: 'Bearer', expiresIn: 900, expiresAt: '2026-11-27T12:15:00.000Z', orgId: 'org_a' },
  );

const forbidden = (extra: Record<string, unknown> = {}) =>
  response(403, { 'content-type': PROBLEM, 'cache-control': 'no-store' }, {
    type: 'urn:tokenvend:problem:forbidden',
    title: 'Forbidden',
    status: 403,
    detail: 'This caller may not request tokens for that org',
    code: 'ERR_TOKENVEND_FORBIDDEN',
    instance: '/tokens',
    ...extra,
  });

describe('expectToMatchSpec', () => {
  it('accepts documented responses', () => {
    expect(() => expectToMatchSpec('POST', '/tokens', issued())).not.toThrow();
    expect(() => expectToMatchSpec('post', '/tokens?x=1', issued())).not.toThrow();
    expect(() => expectToMatchSpec('POST', '/tokens', forbidden({ extension: 'allowed by RFC 9457 §3.2' }))).not.toThrow();
  });

  it.each<[string, () => void, RegExp]>([
    ['an undocumented path', () => expectToMatchSpec('GET', '/nope', issued()), /GET \/nope → 201 does not match openapi\.yaml:\n- openapi\.yaml documents no path matching \/nope/],
    ['an undocumented status', () => expectToMatchSpec('POST', '/tokens', { ...issued(), status: 200 }), /status 200 is not documented for POST \/tokens/],
    ['a method the path lacks, answered other than 405', () => expectToMatchSpec('GET', '/tokens', issued()), /GET is not an operation of \/tokens/],
    ['an undocumented media type', () => expectToMatchSpec('POST', '/tokens', { ...issued(), headers: { ...issued().headers, 'content-type': 'text/plain' } }), /Content-Type text\/plain is not documented; documented: application\/json/],
    ['a missing required header', () => expectToMatchSpec('POST', '/tokens', { ...issued(), headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } }), /required header Pragma is missing/],
    ['a header value off its schema', () => expectToMatchSpec('POST', '/tokens', { ...issued(), headers: { ...issued().headers, 'cache-control': 'max-age=60' } }), /header Cache-Control: "max-age=60" does not match its schema/],
    ['a body off its schema', () => expectToMatchSpec('POST', '/tokens', { ...issued(), text: JSON.stringify({ token: 'x', tokenType: 'Bearer' }) }), /the body does not match the schema:\n.*must have required property 'expiresIn'/],
    ['a body that is not JSON', () => expectToMatchSpec('POST', '/tokens', { ...issued(), text: '{' }), /the body is not JSON/],
    ['a problem of the wrong status', () => expectToMatchSpec('POST', '/tokens', { ...forbidden(), status: 400 }), /\/status must be equal to constant/],
    ['an unknown error code', () => expectToMatchSpec('POST', '/tokens', forbidden({ code: 'ERR_TOKENVEND_NOPE' })), /\/code must be equal to one of the allowed values/],
    ['a leaked private JWK member', () => expectToMatchSpec('GET', '/.well-known/jwks.json', response(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=300', etag: '"abc"' }, { keys: [{ kty: 'OKP', kid: 'k', alg: 'EdDSA', use: 'sig', crv: 'Ed25519', x: 'AAAA', d: 'secret' }] })), /the body does not match the schema/],
    ['a body on a 304', () => expectToMatchSpec('GET', '/.well-known/jwks.json', response(304, { 'cache-control': 'public, max-age=300', etag: '"abc"' }, 'x')), /the spec documents no body, but one was sent/],
    ['a body on a HEAD response', () => expectToMatchSpec('HEAD', '/healthz', response(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }, { status: 'ok' })), /a HEAD response must have no body/],
  ])('rejects %s', (_name, check, message) => {
    expect(check).toThrow(message);
  });
});

describe('expectToMatchComponentResponse and expectToMatchSchema', () => {
  it('check a response against components/responses', () => {
    expect(() => expectToMatchComponentResponse('Forbidden', forbidden())).not.toThrow();
    expect(() => expectToMatchComponentResponse('NotFound', forbidden())).toThrow(/as components\/responses\/NotFound does not match openapi\.yaml/);
    expect(() => expectToMatchComponentResponse('Nope', forbidden())).toThrow(/has no components\/responses\/Nope/);
  });

  it('check a value against components/schemas', () => {
    expect(() => expectToMatchSchema('TokenRequest', { orgId: 'org_a', expiresIn: '15m', audience: 'orders-api' })).not.toThrow();
    expect(() => expectToMatchSchema('TokenRequest', { orgId: 'org_a', expiresIn: 59 })).toThrow(/does not match components\/schemas\/TokenRequest/);
    expect(() => expectToMatchSchema('TokenRequest', { orgId: 'org a' })).toThrow(/\/orgId must match pattern/);
    expect(() => expectToMatchSchema('TokenRequest', { scope: 'admin' })).toThrow(/must NOT have additional properties/);
    expect(() => expectToMatchSchema('Nope', {})).toThrow(/has no components\/schemas\/Nope/);
  });
});
