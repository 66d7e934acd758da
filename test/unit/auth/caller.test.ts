import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { parseCallers } from '../../../src/auth/caller.js';
import { ConfigError } from '../../../src/config/config-error.js';

const HASH = 'a'.repeat(64);
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const PRIVATE_JWK = privateKey.export({ format: 'jwk' });
const PUBLIC_JWK = createPublicKey(privateKey).export({ format: 'jwk' });
const entry = (fields: Record<string, unknown> = {}) => ({ id: 'web', keySha256: HASH, orgs: ['*'], ...fields });
const parse = (value: unknown) => parseCallers(JSON.stringify(value), 'CALLERS');

describe('parseCallers', () => {
  it('normalises a valid document', () => {
    const [any, narrow] = parse([entry(), entry({ id: 'billing', keySha256: 'B'.repeat(64), orgs: ['org_a'], maxTtl: '15m', rateLimitPerMinute: 60 })]);
    expect(any).toEqual({ id: 'web', keySha256: HASH, orgs: undefined, maxTtl: undefined, rateLimitPerMinute: undefined, defaultScopes: { private: { tag: 'private' }, public: { tag: 'public' } } });
    expect(narrow).toEqual({ id: 'billing', keySha256: 'b'.repeat(64), orgs: new Set(['org_a']), maxTtl: 900, rateLimitPerMinute: 60, defaultScopes: expect.any(Object) });
    expect(parse([entry({ maxTtl: 120 })])[0]?.maxTtl).toBe(120);
  });

  it.each<[string, unknown, string]>([
    ['not an array', { id: 'web' }, 'CALLERS: must be a JSON array of callers'],
    ['an empty array', [], 'CALLERS: must list at least one caller'],
    ['no credential at all', [{ id: 'web', orgs: ['*'] }], 'CALLERS: entry 0 ("web"): needs keySha256, jwks or jwksUri'],
    ['a private key in jwks', [entry({ jwks: { keys: [PRIVATE_JWK] } })], 'CALLERS: entry 0 ("web"): jwks must hold public keys only (a key has "d"); register the public half'],
    ['a symmetric key in jwks', [entry({ jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } })], 'CALLERS: entry 0 ("web"): jwks must hold public keys only (a key has "k"); register the public half'],
    ['a broken public key', [entry({ jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' }] } })], 'CALLERS: entry 0 ("web"): jwks holds a key that is not a valid public JWK'],
    ['jwks that is not a set', [entry({ jwks: [PUBLIC_JWK] })], 'CALLERS: entry 0 ("web"): jwks must be a JWK Set { "keys": [...] }'],
    ['an empty jwks', [entry({ jwks: { keys: [] } })], 'CALLERS: entry 0 ("web"): jwks.keys must list at least one key'],
    ['a jwksUri over plain http', [entry({ jwksUri: 'http://keys.example/jwks.json' })], 'CALLERS: entry 0 ("web"): jwksUri must use https (http only for a loopback host)'],
    ['a jwksUri with a user name and password (fetch refuses them)', [entry({ jwksUri: 'https://user:secret@keys.example/jwks.json' })], 'CALLERS: entry 0 ("web"): jwksUri must not hold a user name or password (fetch refuses them; a JWK Set is public)'],
    ['a jwksUri that is no URL', [entry({ jwksUri: 'keys' })], 'CALLERS: entry 0 ("web"): jwksUri must be an http(s) URL'],
    ['an unknown auth method', [entry({ authMethods: ['tls_client_auth'] })], 'CALLERS: entry 0 ("web"): authMethods entries must be among client_secret_basic, client_secret_post, private_key_jwt'],
    ['private_key_jwt without keys', [entry({ authMethods: ['private_key_jwt'] })], 'CALLERS: entry 0 ("web"): authMethods lists private_key_jwt but the entry has no jwks or jwksUri'],
    ['a secret method without a secret', [{ id: 'web', orgs: ['*'], jwks: { keys: [PUBLIC_JWK] }, authMethods: ['client_secret_post'] }], 'CALLERS: entry 0 ("web"): authMethods lists client_secret_post but the entry has no keySha256'],
    ['a short keySha256', [entry({ keySha256: 'abc' })], 'CALLERS: entry 0 ("web"): keySha256 must be the 64 hex characters of a SHA-256 digest'],
    ['a clear-text key field', [entry({ key: 'tv_x' })], 'CALLERS: entry 0 ("web"): unknown field(s) key'],
    ['a bad id', [entry({ id: 'we b' })], 'CALLERS: entry 0 ("we b"): id must be 1-64 characters from A-Z a-z 0-9 . _ : @ -'],
    ['empty orgs', [entry({ orgs: [] })], 'CALLERS: entry 0 ("web"): orgs must list at least one org or "*"'],
    ['a bad org', [entry({ orgs: ['org a'] })], 'CALLERS: entry 0 ("web"): orgs entries must be "*" or valid org ids'],
    ['a short maxTtl', [entry({ maxTtl: '30s' })], 'CALLERS: entry 0 ("web"): maxTtl must be at least 60 seconds, as seconds or "15m"-style'],
    ['a bad rateLimitPerMinute', [entry({ rateLimitPerMinute: 0 })], 'CALLERS: entry 0 ("web"): rateLimitPerMinute must be at least 1'],
    ['a non-object entry', ['web'], 'CALLERS: entry 0: must be an object'],
    ['orgs that are not an array', [entry({ orgs: '*' })], 'CALLERS: entry 0 ("web"): orgs must be an array'],
    ['duplicate ids', [entry(), entry({ keySha256: 'b'.repeat(64) })], 'CALLERS: entry 1 ("web"): id is used by another entry'],
    ['duplicate keys', [entry(), entry({ id: 'other' })], 'CALLERS: entry 1 ("other"): keySha256 is used by another entry'],
  ])('refuses %s, naming the entry', (_name, document, message) => {
    expect(() => parse(document)).toThrow(new ConfigError('CALLERS', message.replace(/^CALLERS: /, '')));
  });

  it('takes a key-pair-only caller, with jwks, jwksUri and authMethods', () => {
    const [pair] = parse([{ id: 'pair', orgs: ['org_a'], jwks: { keys: [PUBLIC_JWK] }, jwksUri: 'https://keys.example/pair.json', authMethods: ['private_key_jwt'] }]);
    expect(pair).toMatchObject({
      id: 'pair',
      orgs: new Set(['org_a']),
      maxTtl: undefined,
      rateLimitPerMinute: undefined,
      jwks: { keys: [PUBLIC_JWK] },
      jwksUri: 'https://keys.example/pair.json',
      authMethods: new Set(['private_key_jwt']),
    });
    expect(pair?.keySha256).toBeUndefined();
    expect(parse([entry({ jwksUri: 'http://127.0.0.1:8081/jwks.json' })])[0]?.jwksUri).toBe('http://127.0.0.1:8081/jwks.json');
  });

  it('never quotes private key material in its refusal', () => {
    let message = '';
    try {
      parse([entry({ jwks: { keys: [PRIVATE_JWK] } })]);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('public keys only');
    expect(message).not.toContain(String(PRIVATE_JWK.d));
  });
});
