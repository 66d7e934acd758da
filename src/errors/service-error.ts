/** The one error hierarchy of the service: each error carries a stable code, an HTTP status and a public detail. */

/** Stable error codes that callers and tests may switch on. */
export type ErrorCode =
  | 'ERR_TOKENVEND_INVALID_REQUEST'
  | 'ERR_TOKENVEND_UNAUTHENTICATED'
  | 'ERR_TOKENVEND_FORBIDDEN'
  | 'ERR_TOKENVEND_NOT_FOUND'
  | 'ERR_TOKENVEND_METHOD_NOT_ALLOWED'
  | 'ERR_TOKENVEND_PAYLOAD_TOO_LARGE'
  | 'ERR_TOKENVEND_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_TOKENVEND_REQUEST_TIMEOUT'
  | 'ERR_TOKENVEND_EXPECTATION_FAILED'
  | 'ERR_TOKENVEND_HEADERS_TOO_LARGE'
  | 'ERR_TOKENVEND_RATE_LIMITED'
  | 'ERR_TOKENVEND_UNAVAILABLE'
  | 'ERR_TOKENVEND_INTERNAL';

/**
 * Base of every error the HTTP layer renders. `detail` is shown to the caller;
 * `cause` is for the log only and never leaves the process.
 *
 * @example
 * throw new InvalidRequestError('orgId must be 1-128 characters');
 */
export abstract class ServiceError extends Error {
  abstract readonly status: number;
  abstract readonly code: ErrorCode;
  /** Short, fixed summary of the problem type (RFC 9457 §3.1.3). */
  abstract readonly title: string;
  /** Slug of the problem type; the `type` URI is derived from it. */
  abstract readonly slug: string;
  /** Response headers that belong to this error (WWW-Authenticate, Retry-After...). */
  readonly headers: Readonly<Record<string, string>> = {};

  constructor(
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(detail, options);
    this.name = new.target.name;
  }
}

export class InvalidRequestError extends ServiceError {
  readonly status = 400;
  readonly code = 'ERR_TOKENVEND_INVALID_REQUEST';
  readonly title = 'Invalid request';
  readonly slug = 'invalid-request';
}

export class UnauthenticatedError extends ServiceError {
  readonly status = 401;
  readonly code = 'ERR_TOKENVEND_UNAUTHENTICATED';
  readonly title = 'Unauthenticated';
  readonly slug = 'unauthenticated';
  override readonly headers: Readonly<Record<string, string>>;

  /** `presented` says whether a credential came with the request (RFC 6750 §3.1: no error code when none did). */
  constructor(detail: string, presented: boolean) {
    super(detail);
    this.headers = {
      'WWW-Authenticate': presented
        ? 'Bearer realm="tokenvend", error="invalid_token"'
        : 'Bearer realm="tokenvend"',
    };
  }
}

export class ForbiddenError extends ServiceError {
  readonly status = 403;
  readonly code = 'ERR_TOKENVEND_FORBIDDEN';
  readonly title = 'Forbidden';
  readonly slug = 'forbidden';
}

export class NotFoundError extends ServiceError {
  readonly status = 404;
  readonly code = 'ERR_TOKENVEND_NOT_FOUND';
  readonly title = 'Not found';
  readonly slug = 'not-found';
}

export class MethodNotAllowedError extends ServiceError {
  readonly status = 405;
  readonly code = 'ERR_TOKENVEND_METHOD_NOT_ALLOWED';
  readonly title = 'Method not allowed';
  readonly slug = 'method-not-allowed';
  override readonly headers: Readonly<Record<string, string>>;

  constructor(allowed: readonly string[]) {
    super(`This route accepts ${allowed.join(', ')}`);
    this.headers = { Allow: allowed.join(', ') };
  }
}

export class PayloadTooLargeError extends ServiceError {
  readonly status = 413;
  readonly code = 'ERR_TOKENVEND_PAYLOAD_TOO_LARGE';
  readonly title = 'Payload too large';
  readonly slug = 'payload-too-large';
}

export class UnsupportedMediaTypeError extends ServiceError {
  readonly status = 415;
  readonly code = 'ERR_TOKENVEND_UNSUPPORTED_MEDIA_TYPE';
  readonly title = 'Unsupported media type';
  readonly slug = 'unsupported-media-type';
  override readonly headers = { 'Accept-Post': 'application/json' };
}

/** The request did not arrive in time (the server's header and request timeouts); the connection is closed. */
export class RequestTimeoutError extends ServiceError {
  readonly status = 408;
  readonly code = 'ERR_TOKENVEND_REQUEST_TIMEOUT';
  readonly title = 'Request timeout';
  readonly slug = 'request-timeout';
}

/** An `Expect` header other than `100-continue` (RFC 9110 §10.1.1). */
export class ExpectationFailedError extends ServiceError {
  readonly status = 417;
  readonly code = 'ERR_TOKENVEND_EXPECTATION_FAILED';
  readonly title = 'Expectation failed';
  readonly slug = 'expectation-failed';
}

/** The request line and headers exceed the parser's limit (RFC 6585 §5). */
export class HeadersTooLargeError extends ServiceError {
  readonly status = 431;
  readonly code = 'ERR_TOKENVEND_HEADERS_TOO_LARGE';
  readonly title = 'Request header fields too large';
  readonly slug = 'headers-too-large';
}

export class RateLimitedError extends ServiceError {
  readonly status = 429;
  readonly code = 'ERR_TOKENVEND_RATE_LIMITED';
  readonly title = 'Too many requests';
  readonly slug = 'rate-limited';
  override readonly headers: Readonly<Record<string, string>>;

  constructor(detail: string, retryAfterSeconds: number) {
    super(detail);
    this.headers = { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) };
  }
}

export class UnavailableError extends ServiceError {
  readonly status = 503;
  readonly code = 'ERR_TOKENVEND_UNAVAILABLE';
  readonly title = 'Service unavailable';
  readonly slug = 'unavailable';
  override readonly headers: Readonly<Record<string, string>>;

  constructor(detail: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(detail, options);
    this.headers = { 'Retry-After': String(options?.retryAfterSeconds ?? 5) };
  }
}

/** What an unexpected failure becomes: the caller sees a generic message, the cause goes to the log. */
export class InternalError extends ServiceError {
  readonly status = 500;
  readonly code = 'ERR_TOKENVEND_INTERNAL';
  readonly title = 'Internal server error';
  readonly slug = 'internal';

  constructor(cause: unknown) {
    super('The server failed to handle the request', { cause });
  }
}
