/**
 * What the two doors into the token room share (POST /tokens and POST /oauth/token): the same issuer,
 * policy, limiter, failure guard, audit log and metrics, and the same last step, in which a token is
 * signed, audited before anyone sees it, counted and sent. Only the protocol differs between the
 * doors: how a request is read, how its caller is authenticated and how a refusal is spelled.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { Caller } from '../../auth/caller.js';
import type { AuditLog, Door, RejectionReason } from '../../logging/audit-log.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { AuthFailureGuard } from '../../rate-limit/auth-failure-guard.js';
import type { IssuedToken, IssueToken, TokenRequest } from '../../signer/issue-token.js';
import type { TokenPolicy } from '../../signer/validate-token-request.js';

/** 4 KiB: a token request is a few dozen bytes (a form with a client assertion, under 2 KiB); anything larger is not one. */
export const MAX_BODY_BYTES = 4096;

// RFC 6749 §5.1: token responses must not be cached (both doors).
const TOKEN_RESPONSE_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', Pragma: 'no-cache' } as const;

/** One instance of each behind both doors (create-app.ts), so that a caller has one quota, one failure count and one audit trail. */
export interface TokenDoorDependencies {
  readonly issueToken: IssueToken;
  readonly policy: TokenPolicy;
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  readonly authFailureGuard: AuthFailureGuard;
  /** The per-caller limit, run after authentication. */
  readonly limitCaller: RequestHandler;
  /** The client's address as TRUST_PROXY defines it (`req.ip`, or the socket's when no proxy is trusted). */
  readonly clientAddress: (req: Request) => string | undefined;
}

/** What a refused request leaves behind: its reason counted, and one audit line. */
export interface RefusalRecord {
  readonly reason: RejectionReason;
  readonly callerId: string | undefined;
  readonly orgId?: string | undefined;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly ip: string | undefined;
}

/** The door's success body; a function made once, not per request. */
export type ResponseBody = (issued: IssuedToken, request: TokenRequest) => object;

export interface TokenDoor {
  /**
   * Signs the token, writes its audit line and counts it, then sends `body(issued)` with status
   * `status` and no-store headers. No audit, no token: the response waits until the line is written.
   */
  issueAndSend(res: Response, caller: Caller, request: TokenRequest, status: number, body: ResponseBody): Promise<void>;
  /** Counts the refusal and writes its audit line; answering it is the door's own business. */
  recordRefusal(res: Response, record: RefusalRecord): void;
}

/**
 * @example
 * const door = createTokenDoor(deps, (res) => ({ door: 'oauth', authMethod: res.locals.credentials?.method }));
 * const body: ResponseBody = (issued) => ({ access_token: issued.token, token_type: 'Bearer' });
 * await door.issueAndSend(res, caller, request, 200, body);
 */
export function createTokenDoor({ issueToken, audit, metrics }: TokenDoorDependencies, door?: (res: Response) => Door): TokenDoor {
  return {
    async issueAndSend(res, caller, request, status, body) {
      const issued = await issueToken(request);
      const tag = request.scope?.tag ?? 'none';
      audit.issued(caller.id, request.orgId, issued, tag, door?.(res));
      metrics.tokenIssued(caller.id, issued.alg, tag);
      // With the other lines of this round, in one write.
      await audit.written();
      const text = JSON.stringify(body(issued, request));
      // Written directly: the body is built here, so Express's content negotiation and freshness checks have nothing to do.
      res.writeHead(status, { ...TOKEN_RESPONSE_HEADERS, 'Content-Length': Buffer.byteLength(text) }).end(text);
    },

    recordRefusal(res, { reason, ...details }) {
      metrics.rejected(reason);
      audit.rejected(reason, details, door?.(res));
    },
  };
}
