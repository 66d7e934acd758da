/** The one error class the client throws, with stable codes callers can switch on. */

import type { Problem } from './api-types.js';

/** Codes produced by the client itself. Errors relayed from the server carry the server's own `code`. */
export const TokenClientErrorCodes = Object.freeze({
  /** `createTokenClient` was given an invalid option; the message names the option. */
  INVALID_OPTIONS: 'ERR_TOKENVEND_CLIENT_INVALID_OPTIONS',
  /** The token service could not be reached (DNS, connection refused, reset, ...). */
  NETWORK: 'ERR_TOKENVEND_CLIENT_NETWORK',
  /** One attempt took longer than `timeoutMs`. */
  TIMEOUT: 'ERR_TOKENVEND_CLIENT_TIMEOUT',
  /** Retrying would run past `deadlineMs`; `cause` is the last attempt's error. */
  DEADLINE_EXCEEDED: 'ERR_TOKENVEND_CLIENT_DEADLINE_EXCEEDED',
  /** A success status whose body is not a usable token response. */
  BAD_RESPONSE: 'ERR_TOKENVEND_CLIENT_BAD_RESPONSE',
  /** An error status without a problem document carrying a `code`. */
  HTTP_ERROR: 'ERR_TOKENVEND_CLIENT_HTTP_ERROR',
  /** The client was closed. */
  CLOSED: 'ERR_TOKENVEND_CLIENT_CLOSED',
} as const);

/** A code from {@link TokenClientErrorCodes}. */
export type TokenClientErrorCode = (typeof TokenClientErrorCodes)[keyof typeof TokenClientErrorCodes];

/** Details attached to a {@link TokenClientError}. */
export interface TokenClientErrorDetails {
  /** HTTP status of the token service's answer, when there was one. */
  status?: number;
  /** The problem document as the server sent it, when there was one. */
  problem?: Problem;
  /** Wait the server asked for (`Retry-After`), in milliseconds. */
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * Error thrown by `@tokenvend/client`.
 *
 * `code` is either one of {@link TokenClientErrorCodes} or, for an error status, the `code`
 * member of the server's problem document. The message never contains the API key or a token.
 *
 * @example
 * ```ts
 * try {
 *   await client.getToken('org_123');
 * } catch (error) {
 *   if (error instanceof TokenClientError && error.status === 403) {
 *     console.error(error.code, error.problem?.detail);
 *   }
 * }
 * ```
 */
export class TokenClientError extends Error {
  override readonly name = 'TokenClientError';
  readonly code: string;
  readonly status: number | undefined;
  readonly problem: Problem | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: string, message: string, details: TokenClientErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.status = details.status;
    this.problem = details.problem;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/**
 * Replaces every occurrence of `secret` in `text`, so that a server echoing the caller key
 * back in a problem detail cannot put it into an error message.
 *
 * @example
 * ```ts
 * redact('bad key sk_live_1', 'sk_live_1'); // 'bad key [REDACTED]'
 * ```
 */
export function redact(text: string, secret: string): string {
  return secret === '' ? text : text.split(secret).join('[REDACTED]');
}

/**
 * A copy of a parsed JSON value with `secret` replaced (by {@link redact}) in every string, member
 * names included, at any depth: what a server echoes back (a problem's `detail`, an extension member,
 * a list of "invalid values") must not reach an error that a logger serializes whole.
 *
 * @example
 * ```ts
 * redactDeep({ detail: 'bad key sk_1', errors: [{ value: 'sk_1' }] }, 'sk_1');
 * // { detail: 'bad key [REDACTED]', errors: [{ value: '[REDACTED]' }] }
 * ```
 */
export function redactDeep<T>(value: T, secret: string): T {
  if (typeof value === 'string') return redact(value, secret) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => redactDeep(item, secret)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([name, member]) => [redact(name, secret), redactDeep(member, secret)])) as T;
  }
  return value;
}

/**
 * The error every pending and later call of a closed client rejects with.
 *
 * @example
 * ```ts
 * controller.abort(clientClosedError());
 * ```
 */
export function clientClosedError(): TokenClientError {
  return new TokenClientError(TokenClientErrorCodes.CLOSED, 'The token client was closed');
}
