/** User-facing client options in, one validated and frozen configuration out. */

import { clientDefaults } from './defaults.js';
import { TokenClientError, TokenClientErrorCodes } from './errors.js';
import { sleep as realSleep, type Sleep } from './sleep.js';

/** Options of {@link createTokenClient}. */
export interface TokenClientOptions {
  /**
   * Base URL of the token service, e.g. `https://tokenvend.internal/v1`; tokens come from `{baseUrl}/tokens`.
   * `https:`, or `http:` to a loopback host (`localhost`, `127.0.0.0/8`, `[::1]`) only, unless `allowInsecureHttp`.
   */
  baseUrl: string | URL;
  /**
   * Accept an `http:` base URL to a non-loopback host. The caller key then crosses the network in
   * clear text: only for a network you trust as much as the key (a sidecar, a mesh with mTLS). Default false.
   */
  allowInsecureHttp?: boolean;
  /** The caller key sent as `Authorization: Bearer <apiKey>`. Never appears in messages or `inspect` output. */
  apiKey: string;
  /**
   * Refresh a cached token this many seconds before it expires (minus jitter of up to 25 % of that window).
   * Default: refresh after 75–80 % of the token's life. A value at or above the token's life means every
   * `getToken` call asks for a new token.
   */
  refreshBeforeSeconds?: number;
  /** `fetch` implementation, for the token service and for {@link TokenClient.fetch}. Default: global `fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Budget of one HTTP attempt in milliseconds. Default 5000. */
  timeoutMs?: number;
  /** Retries after the first attempt (429, 502, 503, 504, network errors, timeouts). Default 4; 0 disables retries. */
  maxRetries?: number;
  /** Budget of one token request across all attempts and waits, in milliseconds. Default 15000. */
  deadlineMs?: number;
  /**
   * After a target's 401 made {@link TokenClient.fetch} drop a cached token, further 401s for the same
   * token parameters within this many milliseconds are returned as they came, without dropping the new
   * token, so a target that rejects every token costs one new token per interval, not one per call.
   * Default 10000.
   */
  tokenRejectionIntervalMs?: number;
  /**
   * Called when a refresh failed but the still-valid cached token was returned instead,
   * so that the failure is not silent. Must not throw.
   */
  onRefreshError?: (error: TokenClientError) => void;
  /** Clock in epoch milliseconds. Default `Date.now`; inject for tests. */
  now?: () => number;
  /** Wait between retries. Default: a real, abortable timer; inject for tests. */
  sleep?: Sleep;
  /** Source of jitter in [0, 1). Default `Math.random`; inject for tests. */
  random?: () => number;
}

/** Complete, validated configuration: every default applied, nothing left optional but the hook. */
export interface ClientConfig {
  readonly tokenUrl: string;
  readonly apiKey: string;
  readonly refreshBeforeMs: number | undefined;
  readonly fetch: typeof globalThis.fetch;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly deadlineMs: number;
  readonly tokenRejectionIntervalMs: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly onRefreshError: ((error: TokenClientError) => void) | undefined;
  readonly now: () => number;
  readonly sleep: Sleep;
  readonly random: () => number;
}

function invalid(option: string, expected: string): TokenClientError {
  return new TokenClientError(
    TokenClientErrorCodes.INVALID_OPTIONS,
    `Invalid tokenvend client option "${option}": expected ${expected}`,
  );
}

function positiveNumber(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalid(option, 'a positive finite number');
  }
  return value;
}

function optionalFunction<T>(option: string, value: T | undefined, fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'function') throw invalid(option, 'a function');
  return value;
}

// WHATWG URL hostnames: IPv6 in brackets, IPv4 already normalized to dotted decimal ("127.1" → "127.0.0.1").
const LOOPBACK_HOST = /^(?:localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])$/;

/** `{baseUrl}/tokens`, keeping any path prefix of the base URL. */
function resolveTokenUrl(baseUrl: string | URL, allowInsecureHttp: boolean): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw invalid('baseUrl', 'an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('baseUrl', 'an absolute http(s) URL');
  // The caller key travels in every token request: in clear text only to this machine, or when asked for.
  if (url.protocol === 'http:' && !allowInsecureHttp && !LOOPBACK_HOST.test(url.hostname)) {
    throw invalid('baseUrl', 'an https URL (http only to a loopback host, or with allowInsecureHttp: true)');
  }
  // fetch refuses URLs with credentials; the caller key belongs in `apiKey`.
  if (url.username !== '' || url.password !== '') throw invalid('baseUrl', 'a URL without user or password');
  if (url.search !== '' || url.hash !== '') throw invalid('baseUrl', 'a URL without query or fragment');
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return new URL('tokens', url).href;
}

/**
 * Validates `options` once and returns the frozen configuration the client runs on.
 * Errors name the offending option and never echo the API key.
 *
 * @example
 * ```ts
 * const config = parseOptions({ baseUrl: 'https://tokenvend.internal', apiKey: process.env.TOKENVEND_KEY! });
 * config.tokenUrl; // 'https://tokenvend.internal/tokens'
 * ```
 */
export function parseOptions(options: TokenClientOptions): ClientConfig {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'an object');
  if (typeof options.apiKey !== 'string' || options.apiKey === '' || /\s/.test(options.apiKey)) {
    throw invalid('apiKey', 'a non-empty string without whitespace');
  }
  let refreshBeforeMs: number | undefined;
  if (options.refreshBeforeSeconds !== undefined) {
    const seconds = options.refreshBeforeSeconds;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
      throw invalid('refreshBeforeSeconds', 'a non-negative finite number');
    }
    refreshBeforeMs = seconds * 1000;
  }
  const maxRetries = options.maxRetries ?? clientDefaults.maxRetries;
  if (!Number.isInteger(maxRetries) || maxRetries < 0) throw invalid('maxRetries', 'a non-negative integer');

  const fetchImpl = optionalFunction('fetch', options.fetch, globalThis.fetch);
  if (typeof fetchImpl !== 'function') throw invalid('fetch', 'a function (no global fetch found)');
  // Called through a closure so a browser's fetch never sees a foreign `this` ("Illegal invocation").
  const boundFetch: typeof globalThis.fetch = (input, init) => fetchImpl(input, init);

  if (options.allowInsecureHttp !== undefined && typeof options.allowInsecureHttp !== 'boolean') {
    throw invalid('allowInsecureHttp', 'true or false');
  }

  return Object.freeze({
    tokenUrl: resolveTokenUrl(options.baseUrl, options.allowInsecureHttp === true),
    apiKey: options.apiKey,
    refreshBeforeMs,
    fetch: boundFetch,
    timeoutMs: positiveNumber('timeoutMs', options.timeoutMs, clientDefaults.timeoutMs),
    maxRetries,
    deadlineMs: positiveNumber('deadlineMs', options.deadlineMs, clientDefaults.deadlineMs),
    tokenRejectionIntervalMs: positiveNumber('tokenRejectionIntervalMs', options.tokenRejectionIntervalMs, clientDefaults.tokenRejectionIntervalMs),
    initialBackoffMs: clientDefaults.initialBackoffMs,
    maxBackoffMs: clientDefaults.maxBackoffMs,
    onRefreshError: optionalFunction<ClientConfig['onRefreshError']>('onRefreshError', options.onRefreshError, undefined),
    now: optionalFunction('now', options.now, Date.now),
    sleep: optionalFunction('sleep', options.sleep, realSleep),
    random: optionalFunction('random', options.random, Math.random),
  });
}
