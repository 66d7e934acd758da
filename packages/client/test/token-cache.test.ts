import { createTokenCache, tokenCacheKey } from '../src/token-cache.js';

const entry = (orgId: string | undefined, token: string, expiresAtMs = 1000) => ({ orgId, token, expiresAtMs, refreshAtMs: expiresAtMs - 200 });

describe('tokenCacheKey', () => {
  it('keeps orgId, expiresIn (as given) and audience apart', () => {
    expect(tokenCacheKey({})).toBe('[null,null,null,null,null]');
    expect(tokenCacheKey({ orgId: 'o', expiresIn: 900, audience: 'a' })).toBe('["o",900,"a",null,null]');
    expect(tokenCacheKey({ expiresIn: '900' })).not.toBe(tokenCacheKey({ expiresIn: 900 }));
  });
});

describe('createTokenCache', () => {
  it('drops a token only if it is still the cached one', () => {
    const cache = createTokenCache();
    cache.set('k', entry('o', 'new'), 0);
    cache.deleteToken('k', 'old');
    expect(cache.get('k')?.token).toBe('new');
    cache.deleteToken('k', 'new');
    expect(cache.get('k')).toBeUndefined();
  });

  it('sweeps expired entries when storing', () => {
    const cache = createTokenCache();
    cache.set('a', entry('a', 'ta', 100), 0);
    cache.set('b', entry('b', 'tb', 500), 0);
    cache.set('c', entry('c', 'tc', 900), 100);
    expect([cache.get('a'), cache.get('b')?.token, cache.get('c')?.token]).toEqual([undefined, 'tb', 'tc']);
  });

  it('drops every entry of one org, the default org being undefined', () => {
    const cache = createTokenCache();
    cache.set('a1', entry('a', 't1'), 0);
    cache.set('a2', entry('a', 't2'), 0);
    cache.set('d', entry(undefined, 't3'), 0);
    cache.deleteOrg('a');
    expect([cache.get('a1'), cache.get('a2'), cache.get('d')?.token]).toEqual([undefined, undefined, 't3']);
    cache.deleteOrg(undefined);
    expect(cache.get('d')).toBeUndefined();
  });
});
