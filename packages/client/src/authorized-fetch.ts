/** A fetch that carries a vended token and recovers once from a rejected (401) token. */

import { isReplayable } from './replayable-body.js';
import type { GetTokenOptions } from './token-client.js';

/** `RequestInit` plus which token to attach. */
export interface TokenFetchInit extends RequestInit {
  /** Org of the token; omitted means the caller's default org. */
  orgId?: string;
  /** Lifetime and audience of the token. */
  tokenOptions?: GetTokenOptions;
}

/** Signature of {@link TokenClient.fetch}. */
export type AuthorizedFetch = (input: string | URL | Request, init?: TokenFetchInit) => Promise<Response>;

/** What the authorized fetch needs from the token client. */
export interface AuthorizedFetchDeps {
  fetch: typeof globalThis.fetch;
  getToken(orgId: string | undefined, options: GetTokenOptions | undefined): Promise<string>;
  /**
   * Forgets `token` if it is still the cached one for these parameters; false when it was not dropped
   * because a token for them was already dropped within the rejection interval.
   */
  invalidateToken(orgId: string | undefined, options: GetTokenOptions | undefined, token: string): boolean;
}

/**
 * Creates a fetch that sets `Authorization: Bearer <token>` (replacing any given one). When the target
 * answers 401 (RFC 9110 §15.5.2: the credentials were not accepted — typically an expired or revoked
 * token), the token is dropped from the cache, a new one is obtained and the request is sent once
 * more — but only if its body can be replayed (see {@link isReplayable}); otherwise the 401 is returned
 * as it came (the next call still gets a new token). A token for the same parameters is dropped at
 * most once per `tokenRejectionIntervalMs`: within it, a 401 is returned as it came, without a new
 * token or a second send, so a target that rejects every token cannot make every call mint one.
 *
 * @example
 * ```ts
 * const authorizedFetch = createAuthorizedFetch({ fetch, getToken, invalidateToken });
 * const res = await authorizedFetch('https://billing.internal/invoices', { orgId: 'org_1' });
 * ```
 */
export function createAuthorizedFetch(deps: AuthorizedFetchDeps): AuthorizedFetch {
  const { fetch, getToken, invalidateToken } = deps;

  async function send(
    input: string | URL | Request,
    init: RequestInit,
    orgId: string | undefined,
    tokenOptions: GetTokenOptions | undefined,
  ): Promise<{ token: string; response: Response }> {
    const token = await getToken(orgId, tokenOptions);
    // init.headers replaces a Request's own headers in fetch, so start from those when none are given.
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    headers.set('authorization', `Bearer ${token}`);
    return { token, response: await fetch(input, { ...init, headers }) };
  }

  return async function authorizedFetch(input, init = {}) {
    const { orgId, tokenOptions, ...requestInit } = init;
    const replayable = isReplayable(input, requestInit.body);
    const first = await send(input, requestInit, orgId, tokenOptions);
    if (first.response.status !== 401) return first.response;
    // Even when this request cannot be retried, the next one should not reuse a rejected token.
    const dropped = invalidateToken(orgId, tokenOptions, first.token);
    if (!dropped || !replayable) return first.response;
    // Release the connection held by the unread 401 body before sending again.
    await first.response.body?.cancel().catch(() => undefined);
    return (await send(input, requestInit, orgId, tokenOptions)).response;
  };
}
