/** In-memory store of issued tokens, keyed by what was asked for (org, lifetime, audience, scope). */

import type { TokenRequest, TokenRestrictions } from './api-types.js';

/** A cached token and the local moments that govern its reuse. */
export interface CachedToken {
  readonly orgId: string | undefined;
  readonly token: string;
  /** Local epoch ms after which the token must not be handed out. */
  readonly expiresAtMs: number;
  /** Local epoch ms from which a `getToken` call fetches a replacement. */
  readonly refreshAtMs: number;
}

/** What a token was requested with; tokens asked for differently are cached apart. */
export interface TokenKeyParts {
  orgId?: string | undefined;
  expiresIn?: number | string | undefined;
  audience?: string | undefined;
  tag?: TokenRequest['tag'] | undefined;
  restrictions?: TokenRestrictions | undefined;
}

/** Map of cache key to token. */
export interface TokenCache {
  get(key: string): CachedToken | undefined;
  /** Stores `entry` and drops every entry that expired before `nowMs`. */
  set(key: string, entry: CachedToken, nowMs: number): void;
  /** Drops the entry for `key` only if it still holds `token` (a newer token is kept). */
  deleteToken(key: string, token: string): void;
  /** Drops every entry for `orgId` (`undefined`: the caller's default org), whatever its lifetime or audience. */
  deleteOrg(orgId: string | undefined): void;
  clear(): void;
}

/**
 * The cache key of a token request. `expiresIn` is compared as given: `900` and `"15m"` are
 * different keys, because the client does not interpret duration strings. The scope is part of it,
 * so a public token is never served for a private request or the other way round; restrictions are
 * written canonically (fixed member order, sorted lists), so the order a caller lists origins in
 * does not split the cache.
 *
 * @example
 * ```ts
 * tokenCacheKey({ orgId: 'org_1', audience: 'billing' }); // '["org_1",null,"billing",null,null]'
 * tokenCacheKey({ tag: 'public', restrictions: { allowedOrigins: ['https://b.example', 'https://a.example'] } });
 * // '[null,null,null,"public",[null,["https://a.example","https://b.example"],null,null]]'
 * ```
 */
export function tokenCacheKey(parts: TokenKeyParts): string {
  return JSON.stringify([parts.orgId ?? null, parts.expiresIn ?? null, parts.audience ?? null, parts.tag ?? null, canonicalRestrictions(parts.restrictions)]);
}

function canonicalRestrictions(restrictions: TokenRestrictions | undefined): unknown {
  if (restrictions === undefined) return null;
  const sorted = (list: readonly string[] | undefined) => (list === undefined ? null : [...list].sort());
  return [
    restrictions.enabled ?? null,
    sorted(restrictions.allowedOrigins),
    sorted(restrictions.allowedAssistantIds),
    restrictions.allowTransientAssistant ?? null,
  ];
}

/**
 * Creates an empty token cache. Expired entries are swept whenever a token is stored, so a client
 * used for many orgs over time does not grow without bound.
 *
 * @example
 * ```ts
 * const cache = createTokenCache();
 * cache.set(tokenCacheKey({ orgId: 'org_1' }), { orgId: 'org_1', token, expiresAtMs, refreshAtMs }, Date.now());
 * ```
 */
export function createTokenCache(): TokenCache {
  const entries = new Map<string, CachedToken>();
  return {
    get: (key) => entries.get(key),
    set(key, entry, nowMs) {
      for (const [other, cached] of entries) {
        if (cached.expiresAtMs <= nowMs) entries.delete(other);
      }
      entries.set(key, entry);
    },
    deleteToken(key, token) {
      if (entries.get(key)?.token === token) entries.delete(key);
    },
    deleteOrg(orgId) {
      for (const [key, cached] of entries) {
        if (cached.orgId === orgId) entries.delete(key);
      }
    },
    clear: () => entries.clear(),
  };
}
