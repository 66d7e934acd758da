/** Renders every error as RFC 9457 application/problem+json; a 5xx never shows its cause. */
import type { Response } from 'express';
import {
  InternalError,
  InvalidRequestError,
  PayloadTooLargeError,
  ServiceError,
  UnsupportedMediaTypeError,
} from '../errors/service-error.js';

/** Base of the problem `type` URIs; each type is documented in the README and openapi.yaml. */
export const PROBLEM_TYPE_BASE = 'urn:tokenvend:problem:';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The problem document of an error (RFC 9457 §3). */
export interface ProblemDocument {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly instance?: string;
}

/**
 * Maps anything thrown into a ServiceError: body-parser's own errors get their 4xx,
 * everything unexpected becomes an InternalError that keeps the cause for the log.
 */
export function toServiceError(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  switch ((error as { type?: unknown } | null)?.type) {
    case 'entity.too.large':
      return new PayloadTooLargeError('The request body exceeds 4 KiB');
    case 'entity.parse.failed':
      return new InvalidRequestError('The request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError('The request body must be UTF-8 JSON');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new InvalidRequestError('The request body could not be read');
    default:
      return fromClientError(error) ?? new InternalError(error);
  }
}

/**
 * Errors of the body parser's own machinery (zlib on a corrupt `Content-Encoding: gzip` body, for
 * one) carry a 4xx `status` and `expose: true` but no `type`: they are the client's fault, not ours.
 */
function fromClientError(error: unknown): ServiceError | undefined {
  const { status, expose } = (error ?? {}) as { status?: unknown; expose?: unknown };
  if (expose !== true || typeof status !== 'number' || status < 400 || status > 499) return undefined;
  return status === 413 ? new PayloadTooLargeError('The request body exceeds 4 KiB') : status === 415 ? new UnsupportedMediaTypeError('The request body must be UTF-8 JSON') : new InvalidRequestError('The request body could not be read');
}

export function problemOf(error: ServiceError, instance?: string): ProblemDocument {
  return {
    type: `${PROBLEM_TYPE_BASE}${error.slug}`,
    title: error.title,
    status: error.status,
    detail: error.detail,
    code: error.code,
    ...(instance !== undefined && { instance }),
  };
}

/** Writes the problem response with the error's own headers (WWW-Authenticate, Retry-After, Allow). */
export function sendProblem(res: Response, error: ServiceError, instance?: string): void {
  res.status(error.status);
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.setHeader('Cache-Control', 'no-store');
  res.type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problemOf(error, instance)));
}
