/**
 * POST /oauth/token (RFC 6749 §4.4, client credentials): the second door into the room POST /tokens
 * opens. The steps that differ are the protocol's (the form, client authentication, the errors'
 * spelling); the limit, the token policy, the org check, signing, audit and metrics are the same ones.
 */
import { declaresBody } from '../declares-body.js';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Caller } from '../../auth/caller.js';
import { mayIssueFor } from '../../auth/authorize-org.js';
import type { Door } from '../../logging/audit-log.js';
import type { Logger } from '../../logging/create-logger.js';
import type { AuthenticateClient, ClientCredentials } from '../../oauth/authenticate-client.js';
import { readClientCredentials } from '../../oauth/authenticate-client.js';
import { OAuthError, rejectionReason, sendOAuthError, toOAuthError } from '../../oauth/oauth-error.js';
import { readTokenForm, requestedOrg, type TokenForm } from '../../oauth/parse-token-form.js';
import type { TokenRequest } from '../../signer/issue-token.js';
import { validateTokenRequest } from '../../signer/validate-token-request.js';
import { publicBaseUrl } from '../../config/public-base-url.js';
import { fromMiddleware, runSteps } from '../run-steps.js';
import { createTokenDoor, MAX_BODY_BYTES, type ResponseBody, type TokenDoorDependencies } from './token-door.js';

export const TOKEN_ENDPOINT_PATH = '/oauth/token';

export interface OAuthTokenRouteDependencies extends TokenDoorDependencies {
  readonly authenticateClient: AuthenticateClient;
  /** TOKEN_ISSUER. */
  readonly issuer: string | undefined;
  /** PUBLIC_URL (see publicBaseUrl). */
  readonly publicUrl: string | undefined;
  /** Where an unexpected failure's cause goes; the client sees only `server_error`. */
  readonly logger: Logger;
}

interface OAuthLocals {
  form?: TokenForm;
  credentials?: ClientCredentials;
  caller?: Caller;
  tokenRequest?: TokenRequest;
}
type OAuthResponse = Response<unknown, OAuthLocals>;

const FORM_TYPES = new Set(['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8', 'application/x-www-form-urlencoded;charset=utf-8']);

/**
 * @example
 * app.post('/oauth/token', ...createOAuthTokenRoute({ authenticateClient, issueToken, policy, audit, metrics, authFailureGuard, limitCaller, clientAddress, issuer, publicUrl }));
 */
export function createOAuthTokenRoute(deps: OAuthTokenRouteDependencies): RequestHandler[] {
  const { authenticateClient: checkCredentials, policy, metrics, limitCaller, clientAddress, issuer } = deps;
  const door = createTokenDoor(deps, doorOf);
  // body-parser reads the bytes (length, limit, Content-Encoding); readTokenForm decodes them as UTF-8, whatever the header says.
  const readBody = fromMiddleware(express.raw({ limit: MAX_BODY_BYTES, type: 'application/x-www-form-urlencoded' }));
  const limitPerCaller = fromMiddleware(limitCaller);
  const configuredBase = publicBaseUrl(deps.publicUrl, issuer);
  // Never from the request's Host: an assertion meant for another server could be replayed here with a forged Host.
  const assertionAudiences: readonly string[] = configuredBase === undefined ? [] : [`${configuredBase}${TOKEN_ENDPOINT_PATH}`, issuer ?? configuredBase];

  function requireForm(req: Request): void {
    if (!declaresBody(req)) return;
    if (!isForm(req)) throw new OAuthError('invalid_request', 'The request body must be application/x-www-form-urlencoded (RFC 6749 §4.4.2)');
    if (!isUtf8(req)) throw new OAuthError('invalid_request', 'The form must be encoded in UTF-8 (RFC 6749 Appendix B)');
  }

  function readForm(req: Request, res: OAuthResponse): void {
    res.locals.form = readTokenForm(Buffer.isBuffer(req.body) ? req.body : undefined);
  }

  function requireClientCredentialsGrant(_req: Request, res: OAuthResponse): void {
    const { grantType } = res.locals.form as TokenForm;
    if (grantType !== 'client_credentials') throw new OAuthError('unsupported_grant_type', 'Only grant_type=client_credentials is supported');
  }

  async function authenticateClient(req: Request, res: OAuthResponse): Promise<void> {
    const credentials = readClientCredentials(req.headers.authorization, res.locals.form as TokenForm);
    res.locals.credentials = credentials;
    try {
      // RFC 7523 §3 item 3: the token endpoint URL identifies this server; the issuer does too.
      if (credentials.method === 'private_key_jwt' && configuredBase === undefined) {
        throw new OAuthError('invalid_client', 'private_key_jwt needs PUBLIC_URL or an http(s) TOKEN_ISSUER: the assertion audience is checked against them, never against the request');
      }
      res.locals.caller = await checkCredentials(credentials, assertionAudiences);
    } catch (error) {
      if (error instanceof OAuthError && error.error === 'invalid_client') {
        metrics.clientAuthentication(credentials.method, 'failure');
        // Counted as POST /tokens counts a wrong key, then answered from the count: 401 within the limit, 429 past it.
        await deps.authFailureGuard.countFailure(clientAddress(req));
      }
      throw error;
    }
    metrics.clientAuthentication(credentials.method, 'success');
  }

  function validateRequest(_req: Request, res: OAuthResponse): void {
    const form = res.locals.form as TokenForm;
    // The body POST /tokens would have received, so that one function decides org, lifetime and audience for both doors.
    const body: { orgId?: string; audience?: string } = {};
    const orgId = requestedOrg(form);
    if (orgId !== undefined) body.orgId = orgId;
    if (form.audience !== undefined) body.audience = form.audience;
    const caller = res.locals.caller as Caller;
    const request = validateTokenRequest(body, caller, policy);
    // RFC 9068's header and claims; the object is this request's own, just made by validateTokenRequest.
    res.locals.tokenRequest = Object.assign(request, { profile: { typ: 'at+jwt', clientId: caller.id } as const });
  }

  function authorizeOrg(_req: Request, res: OAuthResponse): void {
    const { orgId } = res.locals.tokenRequest as TokenRequest;
    if (!mayIssueFor(res.locals.caller as Caller, orgId)) throw new OAuthError('invalid_scope', 'This client may not request tokens for that org');
  }

  function signAndRespond(_req: Request, res: OAuthResponse): Promise<void> {
    return door.issueAndSend(res, res.locals.caller as Caller, res.locals.tokenRequest as TokenRequest, 200, accessTokenResponse);
  }

  function refuse(error: unknown, req: Request, res: OAuthResponse, next: NextFunction): void {
    const failure = toOAuthError(error);
    if (failure.status === 500) deps.logger.error({ err: failure.cause ?? failure, path: req.path, code: failure.error }, 'request failed');
    door.recordRefusal(res, { reason: rejectionReason(failure), callerId: res.locals.caller?.id, status: failure.status, code: failure.error, detail: failure.description, ip: clientAddress(req) });
    if (res.headersSent) return next(error);
    sendOAuthError(res, failure);
  }

  return [
    runSteps([requireForm, readBody, readForm, requireClientCredentialsGrant, authenticateClient, limitPerCaller, validateRequest, authorizeOrg, signAndRespond]),
    refuse,
  ] as RequestHandler[];
}

/** RFC 6749 §5.1. */
const accessTokenResponse: ResponseBody = (issued, request) => ({ access_token: issued.token, token_type: 'Bearer', expires_in: issued.exp - issued.iat, scope: `org:${request.orgId}` });

function doorOf(res: OAuthResponse): Door {
  return { door: 'oauth', authMethod: res.locals.credentials?.method };
}

function isForm(req: Request): boolean {
  const type = req.headers['content-type'];
  return (type !== undefined && FORM_TYPES.has(type.toLowerCase())) || Boolean(req.is('application/x-www-form-urlencoded'));
}

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;

/**
 * No charset, or UTF-8: the only encoding RFC 6749 Appendix B allows. A courtesy to a client that
 * declares another, not the guard: the body is decoded as UTF-8 whatever the header says.
 */
function isUtf8(req: Request): boolean {
  const charset = CHARSET.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  return charset === undefined || charset === 'utf-8' || charset === 'utf8';
}

