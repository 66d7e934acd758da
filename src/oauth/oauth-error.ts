/** The token endpoint's errors, spelled as RFC 6749 §5.2 says: JSON `{ error, error_description }`. */
import type { Response } from 'express';
import {
  ForbiddenError,
  InternalError,
  PayloadTooLargeError,
  RateLimitedError,
  UnavailableError,
  type ServiceError,
} from '../errors/service-error.js';
import { toServiceError } from '../http/problem.js';
import type { RejectionReason } from '../logging/audit-log.js';

/**
 * RFC 6749 §5.2 codes, RFC 8707 §2 `invalid_target`, and `temporarily_unavailable` / `server_error`
 * (RFC 6749 §4.1.2.1) for a limit or an outage, which the token endpoint's list has no word for.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'temporarily_unavailable'
  | 'server_error';

/**
 * An error of the token endpoint. `description` is shown to the client; `cause` stays in the log.
 *
 * @example
 * throw new OAuthError('invalid_scope', 'This client may not request tokens for that org');
 */
export class OAuthError extends Error {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    options: { status?: number; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(description, { cause: options.cause });
    this.name = 'OAuthError';
    this.status = options.status ?? (error === 'invalid_client' ? 401 : 400);
    this.headers = options.headers ?? {};
  }
}

/** invalid_client; RFC 6749 §5.2: 401 with a Basic challenge when the client tried Basic. */
export function invalidClient(description: string, triedBasic: boolean): OAuthError {
  return new OAuthError('invalid_client', description, { headers: triedBasic ? { 'WWW-Authenticate': 'Basic realm="tokenvend"' } : {} });
}

/**
 * Maps what the shared steps throw (ServiceErrors of validateTokenRequest, the limiters, the signer,
 * the body parser) onto OAuth errors: the same refusal as POST /tokens, in this door's spelling.
 *
 * @example
 * toOAuthError(new InvalidRequestError('orgId must be …')); // OAuthError invalid_request, 400
 */
export function toOAuthError(thrown: unknown): OAuthError {
  if (thrown instanceof OAuthError) return thrown;
  if ((thrown as { type?: unknown } | null)?.type === 'parameters.too.many') return new OAuthError('invalid_request', 'The form has too many parameters');
  const failure: ServiceError = toServiceError(thrown);
  const options = { headers: { ...failure.headers }, cause: failure.cause ?? failure };
  if (failure instanceof RateLimitedError) return new OAuthError('temporarily_unavailable', failure.detail, { ...options, status: 429 });
  if (failure instanceof UnavailableError) return new OAuthError('temporarily_unavailable', failure.detail, { ...options, status: 503 });
  if (failure instanceof InternalError || failure.status >= 500) return new OAuthError('server_error', 'The server failed to handle the request', { status: 500, cause: failure.cause ?? failure });
  // From validateTokenRequest, a 403 is an audience this caller may not have (RFC 8707 §2).
  if (failure instanceof ForbiddenError) return new OAuthError('invalid_target', failure.detail.replace('This caller', 'This client'));
  if (failure instanceof PayloadTooLargeError) return new OAuthError('invalid_request', 'The form exceeds 4 KiB', { status: 413 });
  // Bodies and their encodings (415 included) are the request's own fault: §5.2 says 400.
  return new OAuthError('invalid_request', failure.detail.replace('UTF-8 JSON', 'a UTF-8 application/x-www-form-urlencoded form'));
}

/** The audit and metrics reason of a refusal, the same words POST /tokens uses. */
export function rejectionReason(failure: OAuthError): RejectionReason {
  switch (failure.error) {
    case 'invalid_client':
      return 'unauthenticated';
    case 'unauthorized_client':
    case 'invalid_scope':
    case 'invalid_target':
      return 'forbidden';
    case 'temporarily_unavailable':
      return failure.status === 429 ? 'rate_limited' : 'unavailable';
    case 'server_error':
      return 'unavailable';
    default:
      return 'invalid_request';
  }
}

/** Writes the §5.2 error with its own headers; like every token response, never cached. */
export function sendOAuthError(res: Response, failure: OAuthError): void {
  const body = JSON.stringify({ error: failure.error, error_description: failure.description });
  res.writeHead(failure.status, {
    ...failure.headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}
