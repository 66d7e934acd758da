import { parseCallers } from '../../../src/auth/caller.js';
import { ConfigError } from '../../../src/config/config-error.js';

const HASH = 'a'.repeat(64);
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
    ['a missing keySha256', [{ id: 'web', orgs: ['*'] }], 'CALLERS: entry 0 ("web"): keySha256 is required'],
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
});
