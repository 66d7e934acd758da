/** The token client: cached, single-flight, resilient access to vended tokens, and a fetch that uses them. */

import type { TokenRequest } from './api-types.js';
import { createAuthorizedFetch, type TokenFetchInit } from './authorized-fetch.js';
import { clientDefaults } from './defaults.js';
import { TokenClientError, clientClosedError } from './errors.js';
import { parseOptions, type TokenClientOptions } from './options.js';
import { scheduleRefresh } from './refresh-schedule.js';
import { createTokenRequester } from './request-token.js';
import { createRetryingRequester } from './request-with-retry.js';
import { createSingleFlight } from './single-flight.js';
import { createTokenCache, tokenCacheKey, type CachedToken } from './token-cache.js';

/** Token options of {@link TokenClient.getToken}. */
export interface GetTokenOptions {
  /** Requested lifetime: integer seconds or a duration string such as `"15m"`. Part of the cache key. */
  expiresIn?: number | string;
  /** `aud` claim to request. Part of the cache key. */
  audience?: string;
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
  return body;
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
 * const res = await tokens.fetch('https://billing.internal/invoices', { orgId: 'org_123', tokenOptions: { audience: 'billing' } });
 * ```
 */
export function createTokenClient(options: TokenClientOptions): TokenClient {
  const config = parseOptions(options);
  const { now, random, refreshBeforeMs, onRefreshError } = config;
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

  async function getToken(orgId?: string, tokenOptions?: GetTokenOptions): Promise<string> {
    if (closer.signal.aborted) throw clientClosedError();
    const key = tokenCacheKey({ orgId, expiresIn: tokenOptions?.expiresIn, audience: tokenOptions?.audience });
    const cached = cache.get(key);
    if (cached !== undefined && now() < cached.refreshAtMs) return cached.token;
    const entry = await flights.run(key, () => issue(key, orgId, tokenOptions));
    return entry.token;
  }

  const authorizedFetch = createAuthorizedFetch({
    fetch: config.fetch,
    getToken,
    invalidateToken(orgId, tokenOptions, token) {
      cache.deleteToken(tokenCacheKey({ orgId, expiresIn: tokenOptions?.expiresIn, audience: tokenOptions?.audience }), token);
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
    },
    [Symbol.toStringTag]: 'TokenClient',
    // Node's util.inspect hook, keyed by its registered symbol so no node: import is needed.
    [Symbol.for('nodejs.util.inspect.custom')]: () => description,
  });
}
