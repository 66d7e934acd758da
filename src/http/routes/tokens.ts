/** POST /tokens as a list of named steps, so that a stack trace reads like the protocol. */
import { declaresBody } from '../declares-body.js';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { fromMiddleware, runSteps } from '../run-steps.js';
import type { Caller } from '../../auth/caller.js';
import type { CallerRegistry } from '../../auth/caller-registry.js';
import { mayIssueFor } from '../../auth/authorize-org.js';
import { isWellFormedCallerKey } from '../../auth/caller-key-format.js';
import { bearerSchemeProblem, readBearer } from '../../auth/read-bearer.js';
import {
  ForbiddenError,
  PayloadTooLargeError,
  UnauthenticatedError,
  UnsupportedMediaTypeError,
  type ServiceError,
} from '../../errors/service-error.js';
import type { RejectionReason } from '../../logging/audit-log.js';
import type { TokenRequest } from '../../signer/issue-token.js';
import { toServiceError } from '../problem.js';
import { toTokenResponse } from '../../signer/token-response.js';
import { validateTokenRequest } from '../../signer/validate-token-request.js';
import { ORG_ID_PATTERN } from '../../config/options.js';
import { createTokenDoor, MAX_BODY_BYTES, type ResponseBody, type TokenDoorDependencies } from './token-door.js';

export interface TokensRouteDependencies extends TokenDoorDependencies {
  readonly callers: CallerRegistry;
}

interface TokenLocals {
  caller?: Caller;
  tokenRequest?: TokenRequest;
}
type TokenResponse = Response<unknown, TokenLocals>;

const REASONS: Readonly<Record<number, RejectionReason>> = {
  401: 'unauthenticated',
  403: 'forbidden',
  429: 'rate_limited',
  503: 'unavailable',
};

/**
 * Builds the POST /tokens handler chain.
 *
 * @example
 * app.post('/tokens', ...createTokensRoute({ callers, issueToken, policy, audit, metrics, authFailureGuard, limitCaller, clientAddress }));
 */
export function createTokensRoute(deps: TokensRouteDependencies) {
  const { callers, policy, authFailureGuard, limitCaller, clientAddress } = deps;
  const door = createTokenDoor(deps);
  const parseJson = fromMiddleware(express.json({ limit: MAX_BODY_BYTES, strict: true, type: 'application/json' }));
  const limitPerCaller = fromMiddleware(limitCaller);

  function refuseOversizedBody(req: Request): void {
    // From the declared length, before any other work and before a byte of the body is read;
    // the error renderer then closes the connection rather than read what was declared.
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) throw new PayloadTooLargeError('The request body exceeds 4 KiB');
  }

  function authenticateCaller(req: Request, res: TokenResponse): void | Promise<void> {
    const presented = readBearer(req.headers.authorization);
    // No credential at all is not a guess: counting it would let any bodiless POST from a shared
    // address (a NAT, a sidecar) use up the failure limit.
    if (presented === undefined) throw new UnauthenticatedError('Send the caller key as "Authorization: Bearer <key>"', false);
    // A key not in the one format, or with a wrong checksum, was never issued: refused before the lookup.
    const caller = presented !== null && isWellFormedCallerKey(presented) ? callers.authenticate(presented) : undefined;
    if (caller) {
      res.locals.caller = caller;
      return undefined;
    }
    const schemeProblem = presented === null ? bearerSchemeProblem(req.headers.authorization as string) : undefined;
    const failure =
      schemeProblem !== undefined
        ? new UnauthenticatedError(`The Authorization header ${schemeProblem}: send the caller key as "Authorization: Bearer <key>"`, true)
        : new UnauthenticatedError('The caller key is not valid', true);
    // Counted, then answered from the count this failure made: 401 within the limit, 429 past it.
    return authFailureGuard.countFailure(clientAddress(req)).then(() => {
      throw failure;
    });
  }

  function requireJson(req: Request): void {
    // A request without a body is an empty token request (ORG_ID and TOKEN_TTL fill it in).
    if (declaresBody(req) && !isJson(req)) {
      throw new UnsupportedMediaTypeError('The request body must be application/json');
    }
  }

  function validateRequest(req: Request, res: TokenResponse): void {
    res.locals.tokenRequest = validateTokenRequest(req.body ?? {}, res.locals.caller as Caller, policy);
  }

  function authorizeOrg(_req: Request, res: TokenResponse): void {
    const { orgId } = res.locals.tokenRequest as TokenRequest;
    if (!mayIssueFor(res.locals.caller as Caller, orgId)) throw new ForbiddenError('This caller may not request tokens for that org');
  }

  function signAndRespond(_req: Request, res: TokenResponse): Promise<void> {
    return door.issueAndSend(res, res.locals.caller as Caller, res.locals.tokenRequest as TokenRequest, 201, tokenResponse);
  }

  function auditRejection(error: unknown, req: Request, res: TokenResponse, next: NextFunction): void {
    const failure: ServiceError = toServiceError(error);
    door.recordRefusal(res, {
      reason: REASONS[failure.status] ?? (failure.status < 500 ? 'invalid_request' : 'unavailable'),
      callerId: res.locals.caller?.id,
      orgId: res.locals.tokenRequest?.orgId ?? orgIdOf(req),
      status: failure.status,
      code: failure.code,
      detail: failure.detail,
      ip: clientAddress(req),
    });
    next(failure);
  }

  return [
    runSteps([refuseOversizedBody, authenticateCaller, limitPerCaller, requireJson, parseJson, validateRequest, authorizeOrg, signAndRespond]),
    auditRejection,
  ] as RequestHandler[];
}

const tokenResponse: ResponseBody = (issued, request) => toTokenResponse(issued, request.orgId);

/** The orgId a refused request asked for, when it was a well-formed one (never arbitrary text in the audit). */
function orgIdOf(req: Request): string | undefined {
  const orgId = (req.body as { orgId?: unknown } | undefined)?.orgId;
  return typeof orgId === 'string' && ORG_ID_PATTERN.test(orgId) ? orgId : undefined;
}

// What nearly every client sends, compared before type-is parses the header (it costs more than the comparison).
const PLAIN_JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8', 'application/json;charset=utf-8']);

function isJson(req: Request): boolean {
  const type = req.headers['content-type'];
  return (type !== undefined && PLAIN_JSON_TYPES.has(type)) || Boolean(req.is('application/json'));
}

