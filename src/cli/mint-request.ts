/** Turns mint's options into a TokenRequest with the POST /tokens rules, applied by the service's own validator. */
import { defaultScopes, type Caller } from '../auth/caller.js';
import type { TokenTag } from '../auth/token-scope.js';
import { ServiceError } from '../errors/service-error.js';
import { validateTokenRequest, type TokenPolicy } from '../signer/validate-token-request.js';
import type { TokenRequest } from '../signer/issue-token.js';

export interface MintOptions {
  readonly org?: string | undefined;
  readonly ttl?: string | undefined;
  readonly audience?: string | undefined;
  /** Vapi's scope tag: the token gets a `token: { tag }` claim. */
  readonly tag?: TokenTag | undefined;
}

/** The operator holding the key: every org, every configured audience, the server's TOKEN_MAX_TTL, the tag asked for. */
function operatorCaller(policy: TokenPolicy, tag: TokenTag | undefined): Caller {
  return {
    id: 'tokenvend-cli',
    keySha256: '',
    orgs: undefined,
    maxTtl: undefined,
    rateLimitPerMinute: undefined,
    audiences: policy.audiences,
    ...(tag !== undefined && { tags: [tag] }),
    defaultScopes: defaultScopes(),
  };
}

const FLAGS: Readonly<Record<string, string>> = { orgId: '--org', expiresIn: '--ttl', audience: '--audience' };

/**
 * Validates as POST /tokens would for a caller allowed everything: lifetimes of at least 60 s and at
 * most TOKEN_MAX_TTL (refused, never shortened), the default org and lifetime, and an audience
 * among TOKEN_AUDIENCE (all of them when none is asked for). Messages name the CLI option.
 *
 * @example
 * mintRequest({ org: 'org_a', ttl: '15m' }, config.tokens); // { orgId: 'org_a', ttl: 900, audience: undefined }
 */
export function mintRequest(options: MintOptions, policy: TokenPolicy): TokenRequest {
  const body = {
    ...(options.org !== undefined && { orgId: options.org }),
    ...(options.ttl !== undefined && { expiresIn: options.ttl }),
    ...(options.audience !== undefined && { audience: options.audience }),
  };
  try {
    return validateTokenRequest(body, operatorCaller(policy, options.tag), policy);
  } catch (error) {
    if (!(error instanceof ServiceError)) throw error;
    throw new Error(
      error.detail
        .replace(/^(orgId|expiresIn|audience)\b/, (field) => FLAGS[field] ?? field)
        .replace(/ for this caller$/, ' (TOKEN_MAX_TTL)')
        .replace(/\(this server has no default org\)/, '(ORG_ID is not set)'),
    );
  }
}
