/** The token client: cached, single-flight, resilient access to vended tokens, and a fetch that uses them. */

import type { TokenRequest, TokenRestrictions } from './api-types.js';
import { createAuthorizedFetch, type TokenFetchInit } from './authorized-fetch.js';
import { clientDefaults } from './defaults.js';
import { TokenClientError, TokenClientErrorCodes, clientClosedError } from './errors.js';
import { parseOptions, type TokenClientOptions } from './options.js';
import { scheduleRefresh } from './refresh-schedule.js';
import { createTokenRequester } from './request-token.js';
import { createRetryingRequester } from './request-with-retry.js';
import { createSingleFlight } from './single-flight.js';
import { createTokenCache, tokenCacheKey, type CachedToken } from './token-cache.js';

/** Token options of {@link TokenClient.getToken}; every one is part of the cache key. */
export interface GetTokenOptions {
  /** Requested lifetime: integer seconds or a duration string such as `"15m"`. */
  expiresIn?: number | string;
  /** `aud` claim to request. */
  audience?: string;
  /**
   * Vapi's scope tag (`token.tag`): `'private'` for server-to-server calls, `'public'` for a token a
   * browser may carry. Omitted: the caller's first CALLERS `tags` entry.
   */
  tag?: TokenRequest['tag'];
  /** Vapi's restrictions of a public token, narrowing the caller's own (field names as Vapi spells them). */
  restrictions?: TokenRestrictions;
}

/** The one-object form of {@link TokenClient.getToken}: the org and the token options together. */
export interface GetTokenRequest extends GetTokenOptions {
  /** Org of the token; omitted means the caller's default org. */
  orgId?: string;
}

/** A client of the token service. Holds the caller key privately; `inspect` and `toString` never show it. */
export interface TokenClient {
  /**
   * A token for `orgId` (omitted: the caller's default org), from the cache while it is outside its
   * refresh window, otherwise from the service. Concurrent calls with the same parameters share one request.
   *
   * Resilience: if a refresh fails while the cached token has not yet expired, that token is returned
   * instead of an error, `onRefreshError` is told, and no new refresh is tried for
   * max(1 s, `Retry-After`). Only once the token has expired does a failure reach the caller.
   *
   * @throws {TokenClientError} with the server's `status`, `code` and `problem` for a final error status,
   * or a client code (`ERR_TOKENVEND_CLIENT_*`) for network errors, timeouts, the deadline or `close()`.
   */
  getToken(request: GetTokenRequest): Promise<string>;
  getToken(orgId?: string, options?: GetTokenOptions): Promise<string>;
  /**
   * `fetch` with `Authorization: Bearer <token>` for `init.orgId` / `init.tokenOptions`. On a 401 from the
   * target the token is dropped and the request sent once more with a new one, if its body is replayable.
   */
  fetch(input: string | URL | Request, init?: TokenFetchInit): Promise<Response>;
  /** Forgets the cached tokens of `orgId` (omitted: the caller's default org), for every lifetime and audience. */
  invalidate(orgId?: string): void;
  /** Aborts requests and waits in progress, empties the cache; every later call rejects with `ERR_TOKENVEND_CLIENT_CLOSED`. */
  close(): void;
}

function tokenRequestBody(orgId: string | undefined, options: GetTokenOptions | undefined): TokenRequest {
  const body: TokenRequest = {};
  if (orgId !== undefined) body.orgId = orgId;
  if (options?.expiresIn !== undefined) body.expiresIn = options.expiresIn;
  if (options?.audience !== undefined) body.audience = options.audience;
  if (options?.tag !== undefined) body.tag = options.tag;
  if (options?.restrictions !== undefined) body.restrictions = options.restrictions;
  return body;
}

const keyOf = (orgId: string | undefined, options: GetTokenOptions | undefined): string =>
  tokenCacheKey({ orgId, expiresIn: options?.expiresIn, audience: options?.audience, tag: options?.tag, restrictions: options?.restrictions });

/** `getToken({ orgId, ...options })` and `getToken(orgId, options)` to one shape. */
function readGetTokenArguments(first: string | GetTokenRequest | undefined, second: GetTokenOptions | undefined): [string | undefined, GetTokenOptions | undefined] {
  if (typeof first !== 'object' || first === null) return [first, second];
  if (second !== undefined) {
    throw new TokenClientError(TokenClientErrorCodes.INVALID_OPTIONS, 'getToken takes either a request object or (orgId, options), not both');
  }
  const { orgId, ...options } = first;
  return [orgId, options];
}

/**
 * Creates a token client. Options are validated here, once; an invalid one throws
 * `ERR_TOKENVEND_CLIENT_INVALID_OPTIONS` naming it.
 *
 * @example
 * ```ts
 * import { createTokenClient } from '@tokenvend/client';
 *
 * const tokens = createTokenClient({ baseUrl: 'https://tokenvend.internal', apiKey: process.env.TOKENVEND_KEY! });
 * const jwt = await tokens.getToken('org_123', { audience: 'billing' });
 * const browserToken = await tokens.getToken({ orgId: 'org_123', tag: 'public', restrictions: { allowedOrigins: ['https://app.example.com'] } });
 * const res = await tokens.fetch('https://billing.internal/invoices', { orgId: 'org_123', tokenOptions: { audience: 'billing' } });
 * ```
 */
export function createTokenClient(options: TokenClientOptions): TokenClient {
  const config = parseOptions(options);
  const { now, random, refreshBeforeMs, onRefreshError, tokenRejectionIntervalMs } = config;
  const requestToken = createRetryingRequester(config, createTokenRequester(config));
  const cache = createTokenCache();
  const flights = createSingleFlight<string, CachedToken>();
  const closer = new AbortController();

  /** Keeps serving `previous` after a failed refresh, if it is still valid and still the cached token. */
  function fallBackTo(key: string, previous: CachedToken | undefined, error: unknown): CachedToken {
    const nowMs = now();
    const usable =
      previous !== undefined &&
      error instanceof TokenClientError &&
      !closer.signal.aborted &&
      cache.get(key) === previous &&
      nowMs < previous.expiresAtMs;
    if (!usable) throw error;
    const cooldownMs = Math.max(clientDefaults.refreshFailureCooldownMs, error.retryAfterMs ?? 0);
    const postponed: CachedToken = { ...previous, refreshAtMs: Math.min(nowMs + cooldownMs, previous.expiresAtMs) };
    cache.set(key, postponed, nowMs);
    try {
      onRefreshError?.(error);
    } catch {
      // A faulty hook must not turn a served token into a failure.
    }
    return postponed;
  }

  async function issue(key: string, orgId: string | undefined, tokenOptions: GetTokenOptions | undefined): Promise<CachedToken> {
    const previous = cache.get(key);
    try {
      const { response, sentAtMs } = await requestToken(tokenRequestBody(orgId, tokenOptions), closer.signal);
      const schedule = scheduleRefresh({
        issuedAtMs: sentAtMs,
        lifetimeMs: response.expiresIn * 1000,
        refreshBeforeMs,
        refreshAtLifeFraction: clientDefaults.refreshAtLifeFraction,
        refreshJitterFraction: clientDefaults.refreshJitterFraction,
        random: random(),
      });
      const entry: CachedToken = { orgId, token: response.token, ...schedule };
      if (!closer.signal.aborted) cache.set(key, entry, now());
      return entry;
    } catch (error) {
      return fallBackTo(key, previous, error);
    }
  }

  async function getToken(first?: string | GetTokenRequest, second?: GetTokenOptions): Promise<string> {
    if (closer.signal.aborted) throw clientClosedError();
    const [orgId, tokenOptions] = readGetTokenArguments(first, second);
    const key = keyOf(orgId, tokenOptions);
    const cached = cache.get(key);
    if (cached !== undefined && now() < cached.refreshAtMs) return cached.token;
    const entry = await flights.run(key, () => issue(key, orgId, tokenOptions));
    return entry.token;
  }

  // When each cache key last had a token dropped because a target answered 401: at most one drop per interval.
  const lastRejection = new Map<string, number>();
  const authorizedFetch = createAuthorizedFetch({
    fetch: config.fetch,
    getToken,
    invalidateToken(orgId, tokenOptions, token) {
      const key = keyOf(orgId, tokenOptions);
      const nowMs = now();
      const last = lastRejection.get(key);
      if (last !== undefined && nowMs - last < tokenRejectionIntervalMs) return false;
      for (const [other, at] of lastRejection) {
        if (nowMs - at >= tokenRejectionIntervalMs) lastRejection.delete(other);
      }
      lastRejection.set(key, nowMs);
      cache.deleteToken(key, token);
      return true;
    },
  });

  const description = `TokenClient { tokenUrl: '${config.tokenUrl}' }`;
  return Object.freeze({
    getToken,
    fetch(input: string | URL | Request, init?: TokenFetchInit): Promise<Response> {
      if (closer.signal.aborted) return Promise.reject(clientClosedError());
      return authorizedFetch(input, init);
    },
    invalidate(orgId?: string): void {
      cache.deleteOrg(orgId);
    },
    close(): void {
      closer.abort(clientClosedError());
      cache.clear();
      lastRejection.clear();
    },
    [Symbol.toStringTag]: 'TokenClient',
    // Node's util.inspect hook, keyed by its registered symbol so no node: import is needed.
    [Symbol.for('nodejs.util.inspect.custom')]: () => description,
  });
}
