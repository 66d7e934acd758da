/** The POST /tokens body rules: which fields, which values, which lifetimes. */
import { z } from 'zod';
import { authorizeScope } from '../auth/authorize-scope.js';
import type { Caller } from '../auth/caller.js';
import { restrictionsSchema, tagSchema } from '../auth/token-scope.js';
import { ORG_ID_PATTERN } from '../config/options.js';
import { ForbiddenError, InvalidRequestError } from '../errors/service-error.js';
import { parseDuration } from './duration.js';
import type { TokenRequest } from './issue-token.js';

export interface TokenPolicy {
  /** Seconds. */
  readonly defaultTtl: number;
  readonly maxTtl: number;
  readonly minTtl: number;
  readonly defaultOrgId: string | undefined;
  /** TOKEN_AUDIENCE; empty when unset. */
  readonly audiences: readonly string[];
}

const bodySchema = z.strictObject({
  orgId: z.string().optional(),
  expiresIn: z.union([z.number(), z.string()]).optional(),
  audience: z.union([z.string(), z.array(z.string())]).optional(),
  tag: tagSchema.optional(),
  restrictions: restrictionsSchema.optional(),
});

const FIELDS = 'orgId, expiresIn, audience, tag, restrictions';

/**
 * Checks the body against the rules and the caller's limits; lifetimes are refused, never clamped.
 *
 * @example
 * validateTokenRequest({ orgId: 'org_a', expiresIn: '15m' }, caller, policy); // { orgId: 'org_a', ttl: 900 }
 */
export function validateTokenRequest(body: unknown, caller: Caller, policy: TokenPolicy): TokenRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('The request body must be a JSON object');
  }
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) throw new InvalidRequestError(describeIssue(parsed.error.issues[0]));
  const { orgId = policy.defaultOrgId, expiresIn, audience, tag, restrictions } = parsed.data;

  if (orgId === undefined) throw new InvalidRequestError('orgId is required (this server has no default org)');
  if (!ORG_ID_PATTERN.test(orgId)) throw new InvalidRequestError('orgId must be 1-128 characters from A-Z a-z 0-9 . _ : @ -');

  const maxTtl = Math.min(policy.maxTtl, caller.maxTtl ?? Infinity);
  // The default is the caller's to receive, so it follows the caller's cap; an explicit request is never clamped.
  const ttl = expiresIn === undefined ? Math.min(policy.defaultTtl, maxTtl) : parseDuration(expiresIn);
  if (ttl === undefined) throw new InvalidRequestError('expiresIn must be whole seconds or a duration such as "90s", "15m", "1h"');
  if (ttl < policy.minTtl) throw new InvalidRequestError(`expiresIn must be at least ${policy.minTtl} seconds`);
  if (ttl > maxTtl) throw new InvalidRequestError(`expiresIn must be at most ${maxTtl} seconds for this caller`);
  const scope = authorizeScope({ tag, restrictions }, caller);
  return { orgId, ttl, audience: chooseAudience(audience, caller, policy.audiences), ...(scope !== undefined && { scope }) };
}

/**
 * The `aud` claim, least privilege first: a token has one audience unless the caller's entry lists
 * every one asked for, so a token meant for one service is not accepted by another.
 * - None asked: the caller's first audience, else the first of TOKEN_AUDIENCE (no `aud` without one).
 * - One asked (a string, or an array of one): it must be configured (400) and, when the caller's
 *   entry has `audiences`, among them (403); a caller without `audiences` may ask for any one.
 * - Several asked (an array): each must be configured and in the caller's own `audiences` (403).
 */
function chooseAudience(requested: string | readonly string[] | undefined, caller: Caller, configured: readonly string[]): string | readonly string[] | undefined {
  if (requested === undefined) return caller.audiences?.[0] ?? configured[0];
  const asked = typeof requested === 'string' ? [requested] : requested;
  if (asked.length === 0) throw new InvalidRequestError('audience must name at least one audience');
  if (new Set(asked).size !== asked.length) throw new InvalidRequestError('audience must not name an audience twice');
  if (!asked.every((audience) => configured.includes(audience))) {
    throw new InvalidRequestError(configured.length === 0 ? 'audience is not supported: this server has no TOKEN_AUDIENCE' : 'audience must be one of the configured audiences');
  }
  const allowed = caller.audiences;
  if (allowed === undefined && asked.length > 1) throw new ForbiddenError('This caller may ask for one audience per token (its entry lists no audiences)');
  if (allowed !== undefined && !asked.every((audience) => allowed.includes(audience))) throw new ForbiddenError('This caller may not request tokens for that audience');
  return asked.length === 1 ? asked[0] : asked;
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (issue?.code === 'unrecognized_keys') {
    const names = issue.keys.slice(0, 3).map((key) => JSON.stringify(key.slice(0, 64)));
    const where = issue.path.length === 0 ? '' : ` in ${issue.path.join('.')}`;
    return `Unknown field${issue.keys.length > 1 ? 's' : ''}${where} ${names.join(', ')}${issue.keys.length > 3 ? ', ...' : ''}; allowed: ${issue.path.length === 0 ? FIELDS : 'enabled, allowedOrigins, allowedAssistantIds, allowTransientAssistant'}`;
  }
  const field = issue?.path[0];
  if (field === 'orgId') return 'orgId must be a string';
  if (field === 'expiresIn') return 'expiresIn must be whole seconds or a duration such as "90s", "15m", "1h"';
  if (field === 'audience') return 'audience must be a string or an array of strings';
  if (field === 'tag') return 'tag must be "private" or "public"';
  if (field === 'restrictions') {
    if (issue?.path.length === 1) return 'restrictions must be an object';
    return `restrictions.${String(issue?.path[1])} ${issue?.message ?? 'is invalid'}`;
  }
  return 'The request body is invalid';
}
