/** POST /tokens as a list of named steps, so that a stack trace reads like the protocol. */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Caller } from '../../auth/caller.js';
import type { CallerRegistry } from '../../auth/caller-registry.js';
import { mayIssueFor } from '../../auth/authorize-org.js';
import { readBearer } from '../../auth/read-bearer.js';
import {
  ForbiddenError,
  UnauthenticatedError,
  UnsupportedMediaTypeError,
  type ServiceError,
} from '../../errors/service-error.js';
import type { AuditLog, RejectionReason } from '../../logging/audit-log.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { AuthFailureGuard } from '../../rate-limit/auth-failure-guard.js';
import type { IssueToken, TokenRequest } from '../../signer/issue-token.js';
import { toServiceError } from '../problem.js';
import { validateTokenRequest, type TokenPolicy } from './validate-token-request.js';

/** 4 KiB: a token request is a few dozen bytes; anything larger is not one. */
export const MAX_BODY_BYTES = 4096;

export interface TokensRouteDependencies {
  readonly callers: CallerRegistry;
  readonly issueToken: IssueToken;
  readonly policy: TokenPolicy;
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  readonly authFailureGuard: AuthFailureGuard;
  /** The per-caller limit, run after authentication. */
  readonly limitCaller: RequestHandler;
}

interface TokenLocals {
  caller?: Caller;
  tokenRequest?: TokenRequest;
}
type TokenResponse = Response<unknown, TokenLocals>;

// RFC 6749 §5.1: token responses must not be cached.
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const;

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
 * app.post('/tokens', ...createTokensRoute({ callers, issueToken, policy, audit }));
 */
export function createTokensRoute({ callers, issueToken, policy, audit, metrics, authFailureGuard, limitCaller }: TokensRouteDependencies) {
  const parseJson = express.json({ limit: MAX_BODY_BYTES, strict: true, type: 'application/json' });

  async function refuseBlockedAddress(req: Request, _res: TokenResponse, next: NextFunction): Promise<void> {
    // Before the key is looked at: a blocked address must learn nothing, not even that a guess was right.
    await authFailureGuard.check(req.ip);
    next();
  }

  async function authenticateCaller(req: Request, res: TokenResponse, next: NextFunction): Promise<void> {
    const presented = readBearer(req.headers.authorization);
    const caller = typeof presented === 'string' ? callers.authenticate(presented) : undefined;
    if (!caller) {
      await authFailureGuard.recordFailure(req.ip);
      throw presented === undefined
        ? new UnauthenticatedError('Send the caller key as "Authorization: Bearer <key>"', false)
        : new UnauthenticatedError('The caller key is not valid', true);
    }
    res.locals.caller = caller;
    next();
  }

  function requireJson(req: Request, _res: TokenResponse, next: NextFunction): void {
    // A request without a body is an empty token request (ORG_ID and TOKEN_TTL fill it in).
    if (hasBody(req) && !req.is('application/json')) {
      throw new UnsupportedMediaTypeError('The request body must be application/json');
    }
    next();
  }

  function validateRequest(req: Request, res: TokenResponse, next: NextFunction): void {
    res.locals.tokenRequest = validateTokenRequest(req.body ?? {}, res.locals.caller as Caller, policy);
    next();
  }

  function authorizeOrg(_req: Request, res: TokenResponse, next: NextFunction): void {
    const { orgId } = res.locals.tokenRequest as TokenRequest;
    if (!mayIssueFor(res.locals.caller as Caller, orgId)) throw new ForbiddenError('This caller may not request tokens for that org');
    next();
  }

  async function signAndRespond(_req: Request, res: TokenResponse): Promise<void> {
    const caller = res.locals.caller as Caller;
    const request = res.locals.tokenRequest as TokenRequest;
    const issued = await issueToken(request);
    audit.issued(caller.id, request.orgId, issued);
    metrics.tokenIssued(caller.id, issued.alg);
    res.status(201).set(NO_STORE).json({
      token: issued.token,
      tokenType: 'Bearer',
      expiresIn: issued.exp - issued.iat,
      expiresAt: new Date(issued.exp * 1000).toISOString(),
      orgId: request.orgId,
    });
  }

  function auditRejection(error: unknown, req: Request, res: TokenResponse, next: NextFunction): void {
    const failure: ServiceError = toServiceError(error);
    const reason = REASONS[failure.status] ?? (failure.status < 500 ? 'invalid_request' : 'unavailable');
    metrics.rejected(reason);
    audit.rejected(reason, {
      callerId: res.locals.caller?.id,
      status: failure.status,
      code: failure.code,
      detail: failure.detail,
      ip: req.ip,
    });
    next(failure);
  }

  return [refuseBlockedAddress, authenticateCaller, limitCaller, requireJson, parseJson, validateRequest, authorizeOrg, signAndRespond, auditRejection] as RequestHandler[];
}

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}
