import { defaultScopes } from '../../../src/auth/caller.js';
import { bearerSchemeProblem, readBearer } from '../../../src/auth/read-bearer.js';
import { createCallerRegistry, sha256Hex } from '../../../src/auth/caller-registry.js';

describe('readBearer', () => {
  it.each<[string | undefined, string | null | undefined]>([
    [undefined, undefined],
    ['Bearer abc.DEF-_~+/=', 'abc.DEF-_~+/='],
    ['bearer abc', 'abc'],
    ['BEARER   abc  ', 'abc'],
    ['Basic abc', null],
    ['Bearer', null],
    ['Bearer a b', null],
    ['Bearer a,b', null],
    [`Bearer ${'a'.repeat(5000)}`, null],
  ])('%s → %s', (header, expected) => {
    expect(readBearer(header)).toBe(expected);
  });
});

describe('bearerSchemeProblem', () => {
  it.each<[string, string | undefined]>([
    ['tv_abcdef', 'has no scheme'],
    ['  tv_abcdef  ', 'has no scheme'],
    ['Basic abc', 'uses another scheme than Bearer'],
    ['Token tv_abc', 'uses another scheme than Bearer'],
    ['Bearer a b', undefined],
    ['Bearer', undefined],
    ['bearer ', undefined],
  ])('%s → %s', (header, expected) => {
    expect(bearerSchemeProblem(header)).toBe(expected);
  });
});

describe('createCallerRegistry', () => {
  it('finds a caller by the SHA-256 of its key and nothing else', () => {
    const caller = { id: 'web', keySha256: sha256Hex('tv_key'), orgs: undefined, maxTtl: undefined, rateLimitPerMinute: undefined, defaultScopes: defaultScopes() };
    const registry = createCallerRegistry([caller]);
    expect(registry.authenticate('tv_key')).toBe(caller);
    expect(registry.authenticate('tv_kez')).toBeUndefined();
    expect(registry.authenticate(caller.keySha256)).toBeUndefined();
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
