/** Express 5 middleware: only requests bearing a valid tokenvend token (for an allowed org) get through. */
import { readBearerToken } from './bearer-token.js';
import { createVerifier } from './create-verifier.js';
import { TokenVerificationError, VerifierConfigError } from './errors.js';
import type { OrgTokenMiddleware, RequestLike } from './http-types.js';
import type { VerifierOptions } from './options.js';
import { ORG_FORBIDDEN, TAG_FORBIDDEN, TOKEN_MISSING, problemFor, sendProblem } from './problems.js';
import type { TokenClaims, TokenTag } from './token-claims.js';

/** {@link VerifierOptions} plus optional org and scope allow-lists. */
export interface RequireOrgTokenOptions extends VerifierOptions {
  /** Only tokens for these `orgId`s pass; others get 403. Omit to accept every org. */
  orgs?: readonly string[];
  /**
   * Only tokens whose `token.tag` is this one (or one of these) pass; others, and tokens without a
   * `token` claim, get 403. Omit to accept any scope and none. `'private'` keeps the tokens a browser
   * may hold (`public`) out of server-to-server routes.
   */
  tag?: TokenTag | readonly TokenTag[];
}

/** A request that passed {@link requireOrgToken}; `req.auth` holds the verified claims. `R`: your framework's request type. */
export type AuthenticatedRequest<R extends object = RequestLike> = R & { auth: TokenClaims };

// The source of truth for getTokenClaims: unlike req.auth, nothing else can write it.
const verifiedClaims = new WeakMap<object, TokenClaims>();

/**
 * Verifies `Authorization: Bearer <token>` and, on success, sets `req.auth` (the claims) and
 * `res.locals.orgId`. Otherwise answers `application/problem+json`: 401 with `WWW-Authenticate`
 * for a missing or bad token, 403 for an org outside `orgs` or a scope outside `tag`, 503 when the
 * JWKS is unreachable.
 * Options are validated here, so a misconfiguration fails at start-up.
 *
 * @example
 * app.get('/reports', requireOrgToken({ issuer: 'https://tokens.example.com', orgs: ['acme'] }), (req, res) => {
 *   res.json(listReports(res.locals.orgId));
 * });
 */
export function requireOrgToken(options: RequireOrgTokenOptions): OrgTokenMiddleware {
  const verify = createVerifier(options);
  const isAllowed = createOrgPolicy(options.orgs);
  const hasScope = createTagPolicy(options.tag);

  return async function requireOrgTokenMiddleware(req, res, next) {
    const token = readBearerToken(req.headers.authorization);
    if (token === undefined) return sendProblem(res, TOKEN_MISSING);

    let claims: TokenClaims;
    try {
      claims = await verify(token);
    } catch (err) {
      if (err instanceof TokenVerificationError) return sendProblem(res, problemFor(err));
      return next(err);
    }
    if (!isAllowed(claims.orgId)) return sendProblem(res, ORG_FORBIDDEN);
    if (!hasScope(claims)) return sendProblem(res, TAG_FORBIDDEN);

    verifiedClaims.set(req, claims);
    (req as AuthenticatedRequest).auth = claims;
    res.locals.orgId = claims.orgId;
    next();
  };
}

/**
 * The verified claims of a request that passed {@link requireOrgToken}, typed; throws if it did not.
 *
 * @example
 * app.get('/me', requireOrgToken(options), (req, res) => res.json({ org: getTokenClaims(req).orgId }));
 */
export function getTokenClaims(req: object): TokenClaims {
  const claims = verifiedClaims.get(req);
  if (claims === undefined) throw new Error('tokenvend/verify: requireOrgToken() has not accepted this request');
  return claims;
}

/** Decided once: without an allow-list every org passes, with one it is a single set lookup. */
function createOrgPolicy(orgs: readonly string[] | undefined): (orgId: string) => boolean {
  if (orgs === undefined) return () => true;
  if (!Array.isArray(orgs) || orgs.length === 0 || !orgs.every((org) => typeof org === 'string' && org !== '')) {
    throw new VerifierConfigError('orgs', 'must be a non-empty array of non-empty strings');
  }
  const allowed = new Set(orgs);
  return (orgId) => allowed.has(orgId);
}

/** Decided once, like the org policy: without `tag` any scope (and none) passes. */
function createTagPolicy(tag: RequireOrgTokenOptions['tag']): (claims: TokenClaims) => boolean {
  if (tag === undefined) return () => true;
  const tags: readonly unknown[] = Array.isArray(tag) ? tag : [tag];
  if (tags.length === 0 || !tags.every((value) => value === 'private' || value === 'public')) {
    throw new VerifierConfigError('tag', 'must be "private", "public" or a non-empty array of them');
  }
  const allowed = new Set(tags);
  return (claims) => claims.token !== undefined && allowed.has(claims.token.tag);
}
