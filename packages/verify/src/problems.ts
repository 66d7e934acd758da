/** The RFC 9457 problem documents requireOrgToken answers with, each built once. */
import type { TokenVerificationError, TokenVerificationErrorCode } from './errors.js';
import type { ResponseLike } from './http-types.js';

/** Codes that can appear in a problem body from {@link requireOrgToken}. */
export type ProblemCode = TokenVerificationErrorCode | 'ERR_TOKENVEND_TOKEN_MISSING' | 'ERR_TOKENVEND_ORG_FORBIDDEN' | 'ERR_TOKENVEND_TAG_FORBIDDEN';

/** A ready-to-send problem response. */
export interface Problem {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Serialized `{ type, title, status, detail, code }`. */
  readonly body: string;
}

// RFC 6750 §3: no error attribute when no token came; invalid_token when one did.
const CHALLENGE = 'Bearer realm="tokenvend"';
const INVALID_TOKEN = { 'WWW-Authenticate': `${CHALLENGE}, error="invalid_token"` };

/** `about:blank` problems take the HTTP status phrase as title (RFC 9457 §4.2.1). */
function problem(status: 401 | 403 | 503, code: ProblemCode, detail: string, headers: Record<string, string> = {}): Problem {
  const title = { 401: 'Unauthorized', 403: 'Forbidden', 503: 'Service Unavailable' }[status];
  return Object.freeze({ status, headers, body: JSON.stringify({ type: 'about:blank', title, status, detail, code }) });
}

export const TOKEN_MISSING = problem(401, 'ERR_TOKENVEND_TOKEN_MISSING', 'A bearer token is required', {
  'WWW-Authenticate': CHALLENGE,
});

// RFC 6750 §3.1: a valid token without the needed privilege is insufficient_scope, 403.
export const ORG_FORBIDDEN = problem(403, 'ERR_TOKENVEND_ORG_FORBIDDEN', 'The token\'s organization may not use this resource', {
  'WWW-Authenticate': `${CHALLENGE}, error="insufficient_scope"`,
});

// A token of another scope (Vapi's `token.tag`), or with none, is valid but not privileged enough: insufficient_scope too.
export const TAG_FORBIDDEN = problem(403, 'ERR_TOKENVEND_TAG_FORBIDDEN', 'The token\'s scope (token.tag) may not use this resource', {
  'WWW-Authenticate': `${CHALLENGE}, error="insufficient_scope"`,
});

// Details are fixed per code: a 401 says what kind of failure, a 503 never exposes its cause.
const VERIFICATION_PROBLEMS: Readonly<Record<TokenVerificationErrorCode, Problem>> = {
  ERR_TOKENVEND_TOKEN_EXPIRED: problem(401, 'ERR_TOKENVEND_TOKEN_EXPIRED', 'The bearer token has expired', INVALID_TOKEN),
  ERR_TOKENVEND_TOKEN_INVALID: problem(401, 'ERR_TOKENVEND_TOKEN_INVALID', 'The bearer token is invalid', INVALID_TOKEN),
  ERR_TOKENVEND_CLAIM_INVALID: problem(401, 'ERR_TOKENVEND_CLAIM_INVALID', 'The bearer token\'s claims are not acceptable', INVALID_TOKEN),
  ERR_TOKENVEND_JWKS_UNAVAILABLE: problem(503, 'ERR_TOKENVEND_JWKS_UNAVAILABLE', 'Token signing keys are temporarily unavailable'),
  ERR_TOKENVEND_DISCOVERY_FAILED: problem(503, 'ERR_TOKENVEND_DISCOVERY_FAILED', 'Token signing keys are temporarily unavailable'),
};

/**
 * The problem for a verification failure: 401 for the token's fault, 503 when keys are unreachable.
 *
 * @example
 * sendProblem(res, problemFor(err));
 */
export function problemFor(err: TokenVerificationError): Problem {
  return VERIFICATION_PROBLEMS[err.code];
}

/**
 * Sends a problem as `application/problem+json`.
 *
 * @example
 * sendProblem(res, TOKEN_MISSING);
 */
export function sendProblem(res: ResponseLike, { status, headers, body }: Problem): void {
  res.status(status).set(headers).type('application/problem+json').send(body);
}
