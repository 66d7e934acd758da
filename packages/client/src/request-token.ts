/** One attempt at `POST {baseUrl}/tokens`: send, time out, and turn every outcome into a token or a coded error. */

import type { Problem, TokenRequest, TokenResponse } from './api-types.js';
import { TokenClientError, TokenClientErrorCodes, clientClosedError, redact, redactDeep } from './errors.js';
import type { ClientConfig } from './options.js';
import { parseRetryAfter } from './retry-after.js';

/** A token response together with the local time its request was sent. */
export interface IssuedToken {
  response: TokenResponse;
  /** Local epoch ms just before the request went out: the earliest the token can have been issued. */
  sentAtMs: number;
}

/** Sends one token request; `timeoutMs` bounds headers and body, `closeSignal` aborts on `close()`. */
export type RequestToken = (body: TokenRequest, timeoutMs: number, closeSignal: AbortSignal) => Promise<IssuedToken>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The token response, or `undefined` when the body cannot be used (the body itself is never quoted: it may hold a token). */
function readTokenResponse(body: unknown): TokenResponse | undefined {
  if (!isObject(body)) return undefined;
  const { token, expiresIn } = body;
  if (typeof token !== 'string' || token === '') return undefined;
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) return undefined;
  return body as unknown as TokenResponse;
}

function networkErrorCode(error: unknown): string | undefined {
  // undici reports "fetch failed" and keeps the system error (ECONNREFUSED, ...) as its cause.
  const cause = isObject(error) ? error.cause : undefined;
  return isObject(cause) && typeof cause.code === 'string' ? cause.code : undefined;
}

function errorFromResponse(response: Response, text: string, config: ClientConfig): TokenClientError {
  const contentType = response.headers.get('content-type') ?? '';
  // RFC 9457 §3: the problem document; plain JSON is accepted too, from proxies that relabel it.
  // A server may echo the caller key (in `detail`, an extension member, anywhere): it is replaced before
  // the document is attached, since loggers serialize an error's members (pino's err serializer does).
  const parsed = /[/+]json\b/i.test(contentType) ? parseJson(text) : undefined;
  const problem = isObject(parsed) ? redactDeep(parsed as Problem, config.apiKey) : undefined;
  const code = typeof problem?.code === 'string' ? problem.code : TokenClientErrorCodes.HTTP_ERROR;
  const title = typeof problem?.title === 'string' ? problem.title : response.statusText;
  const detail = typeof problem?.detail === 'string' ? `: ${problem.detail}` : '';
  const message = redact(`Token service answered ${response.status}${title ? ` ${title}` : ''}${detail} (${code})`, config.apiKey);
  return new TokenClientError(code, message, {
    status: response.status,
    problem,
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), config.now(), response.headers.get('date')),
  });
}

/**
 * Builds the single-attempt token requester. The request headers, API key included, are built here
 * once and are never exposed.
 *
 * @example
 * ```ts
 * const requestToken = createTokenRequester(parseOptions({ baseUrl, apiKey }));
 * const { response } = await requestToken({ orgId: 'org_1' }, 5_000, new AbortController().signal);
 * ```
 */
export function createTokenRequester(config: ClientConfig): RequestToken {
  const headers = Object.freeze({
    authorization: `Bearer ${config.apiKey}`,
    'content-type': 'application/json',
    accept: 'application/json, application/problem+json',
  });
  const { fetch, tokenUrl, now } = config;

  return async function requestToken(body, timeoutMs, closeSignal) {
    if (closeSignal.aborted) throw clientClosedError();
    const attempt = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      attempt.abort();
    }, timeoutMs);
    const onClose = (): void => attempt.abort();
    closeSignal.addEventListener('abort', onClose, { once: true });

    const sentAtMs = now();
    try {
      const response = await fetch(tokenUrl, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: attempt.signal,
        // A redirect is answered as an error status, never followed: the caller key stays with the configured origin.
        redirect: 'manual',
      });
      const text = await response.text();
      if (!response.ok) throw errorFromResponse(response, text, config);
      const token = readTokenResponse(parseJson(text));
      if (token === undefined) {
        throw new TokenClientError(
          TokenClientErrorCodes.BAD_RESPONSE,
          `Token service answered ${response.status} without a usable token response`,
          { status: response.status },
        );
      }
      return { response: token, sentAtMs };
    } catch (error) {
      if (error instanceof TokenClientError) throw error;
      if (closeSignal.aborted) throw clientClosedError();
      if (timedOut) {
        throw new TokenClientError(TokenClientErrorCodes.TIMEOUT, `Token request timed out after ${timeoutMs} ms`);
      }
      const systemCode = networkErrorCode(error);
      throw new TokenClientError(
        TokenClientErrorCodes.NETWORK,
        `Could not reach the token service${systemCode ? ` (${systemCode})` : ''}`,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
      closeSignal.removeEventListener('abort', onClose);
    }
  };
}
