/**
 * The scope policy: which `token` claim a caller may have in its token. The request's tag and
 * restrictions are checked against the caller's `tags` and `restrictions`, and refused (never
 * silently narrowed or widened) when they ask for more.
 */
import { ForbiddenError, InvalidRequestError } from '../errors/service-error.js';
import type { Caller } from './caller.js';
import type { TokenRestrictions, TokenScope, TokenTag } from './token-scope.js';

/** What a request asks for, already shaped by the body schema. */
export interface RequestedScope {
  readonly tag?: TokenTag | undefined;
  readonly restrictions?: TokenRestrictions | undefined;
}

/**
 * The `token` claim for this caller and request, or `undefined` for a caller without `tags`
 * (its tokens carry no scope, as before scopes existed).
 *
 * Rules (issue 12): the requested tag, or the caller's first; a tag the caller may not mint is 403;
 * restrictions on a private token are 400; a public token's restrictions narrow the caller's field by
 * field (an omitted field keeps the caller's value) and asking for more than the caller has is 403.
 *
 * @example
 * authorizeScope({ tag: 'public', restrictions: { allowedOrigins: ['https://app.example'] } }, caller);
 * // { tag: 'public', restrictions: { enabled: true, allowedOrigins: ['https://app.example'], ... } }
 */
export function authorizeScope(requested: RequestedScope, caller: Caller): TokenScope | undefined {
  const { tags } = caller;
  if (tags === undefined) {
    if (requested.tag !== undefined || requested.restrictions !== undefined) {
      throw new ForbiddenError('This caller mints tokens without a scope (its CALLERS entry has no "tags"); send neither tag nor restrictions');
    }
    return undefined;
  }
  const tag = requested.tag ?? (tags[0] as TokenTag);
  if (!tags.includes(tag)) throw new ForbiddenError(`This caller may not request "${tag}" tokens (it may request: ${tags.join(', ')})`);
  if (tag === 'private') {
    if (requested.restrictions !== undefined) throw new InvalidRequestError('restrictions apply to public tokens only; a private token carries none');
    return caller.defaultScopes.private;
  }
  if (requested.restrictions === undefined) return caller.defaultScopes.public;
  return { tag, restrictions: narrow(requested.restrictions, caller.restrictions) };
}

/** The effective restrictions of a public token: the request's fields where given, the caller's elsewhere. */
function narrow(requested: TokenRestrictions, widest: TokenRestrictions | undefined): TokenRestrictions {
  const allowedOrigins = narrowList('allowedOrigins', 'origin', requested.allowedOrigins, widest?.allowedOrigins);
  const allowedAssistantIds = narrowList('allowedAssistantIds', 'assistant id', requested.allowedAssistantIds, widest?.allowedAssistantIds);
  // Vapi: a token naming assistants may not use a transient one, whatever allowTransientAssistant says.
  const callerTransient = widest === undefined ? undefined : (widest.allowTransientAssistant ?? (widest.allowedAssistantIds === undefined ? undefined : false));
  if (requested.allowTransientAssistant === true && callerTransient === false) {
    throw new ForbiddenError('This caller may not request tokens that allow transient assistants');
  }
  if (requested.enabled === true && widest?.enabled === false) {
    throw new ForbiddenError('This caller\'s public tokens are disabled (restrictions.enabled is false in its CALLERS entry)');
  }
  return effectiveRestrictions({
    enabled: requested.enabled ?? widest?.enabled,
    allowedOrigins,
    allowedAssistantIds,
    allowTransientAssistant: requested.allowTransientAssistant ?? widest?.allowTransientAssistant,
  });
}

function narrowList(field: string, noun: string, requested: readonly string[] | undefined, widest: readonly string[] | undefined): readonly string[] | undefined {
  if (requested === undefined) return widest;
  if (widest !== undefined) {
    const allowed = new Set(widest);
    if (!requested.every((entry) => allowed.has(entry))) {
      throw new ForbiddenError(`restrictions.${field} names an ${noun} this caller's tokens may not allow`);
    }
  }
  return [...new Set(requested)];
}

/**
 * The restrictions as the claim carries them: `enabled` first and `true` unless set, then only the
 * fields that restrict something. Also used to precompute each caller's default public scope.
 */
export function effectiveRestrictions(fields: TokenRestrictions): TokenRestrictions {
  return Object.freeze({
    enabled: fields.enabled ?? true,
    ...(fields.allowedOrigins !== undefined && { allowedOrigins: Object.freeze([...fields.allowedOrigins]) }),
    ...(fields.allowedAssistantIds !== undefined && { allowedAssistantIds: Object.freeze([...fields.allowedAssistantIds]) }),
    ...(fields.allowTransientAssistant !== undefined && { allowTransientAssistant: fields.allowTransientAssistant }),
  });
}
