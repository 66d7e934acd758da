/** What a registered caller is, and how a CALLERS document is validated into callers. */
import { createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { ORG_ID_PATTERN } from '../config/options.js';
import { jsonErrorLocation } from '../config/json-error-location.js';
import { ConfigError } from '../config/config-error.js';
import { parseDuration } from '../signer/duration.js';
import { effectiveRestrictions } from './authorize-scope.js';
import { restrictionsSchema, tagsSchema, type TokenRestrictions, type TokenScope, type TokenTag } from './token-scope.js';

export interface Caller {
  readonly id: string;
  /** Lowercase hex SHA-256 of the caller's key; the key itself is never stored. Absent for a key-pair-only caller. */
  readonly keySha256?: string | undefined;
  /** `undefined` when the caller may ask for any org (`"*"`). */
  readonly orgs: ReadonlySet<string> | undefined;
  /** Longest lifetime this caller may ask for, in seconds. */
  readonly maxTtl: number | undefined;
  readonly rateLimitPerMinute: number | undefined;
  /** Audiences (from TOKEN_AUDIENCE) this caller may ask for by name; `undefined` when it may not choose. */
  readonly audiences?: readonly string[] | undefined;
  /** The Vapi scopes (`token.tag`) this caller may mint, its default first; `undefined`: tokens without a `token` claim. */
  readonly tags?: readonly TokenTag[] | undefined;
  /** The widest restrictions its public tokens may carry. */
  readonly restrictions?: TokenRestrictions | undefined;
  /** The `token` claim of a request that names no restrictions, built once per caller. */
  readonly defaultScopes: { readonly private: TokenScope; readonly public: TokenScope };
  /** Public keys that sign this caller's `private_key_jwt` client assertions (RFC 7523 §2.2), inline. */
  readonly jwks?: { readonly keys: readonly PublicCallerJwk[] } | undefined;
  /** Where this caller publishes those keys instead (or as well); fetched and cached. */
  readonly jwksUri?: string | undefined;
  /** The OAuth client authentication methods this caller may use; `undefined` allows every method its credentials support. */
  readonly authMethods?: ReadonlySet<ClientAuthMethod> | undefined;
}

/** The token endpoint's client authentication methods (RFC 6749 §2.3, RFC 7523 §2.2), as registered by RFC 7591. */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** A public JWK as a caller registers it; what jose's local JWK Set reads. */
export type PublicCallerJwk = Readonly<Record<string, unknown>> & { readonly kty: string };

// Members that make a JWK private or symmetric (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2): a caller registers only public keys.
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

const jwkSchema = z
  .looseObject({ kty: z.string() })
  .superRefine((jwk, ctx) => {
    const secret = PRIVATE_JWK_MEMBERS.find((member) => member in jwk);
    if (secret !== undefined || jwk.kty === 'oct') {
      ctx.addIssue({ code: 'custom', message: `jwks must hold public keys only (a key has "${secret ?? 'kty: oct'}"); register the public half` });
      return;
    }
    if (!['RSA', 'EC', 'OKP'].includes(jwk.kty)) {
      ctx.addIssue({ code: 'custom', message: 'jwks keys must be RSA, EC or OKP public keys' });
      return;
    }
    try {
      createPublicKey({ key: jwk as never, format: 'jwk' });
    } catch {
      ctx.addIssue({ code: 'custom', message: 'jwks holds a key that is not a valid public JWK' });
    }
  });

const callerSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9._:@-]{1,64}$/, 'id must be 1-64 characters from A-Z a-z 0-9 . _ : @ -'),
  keySha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'keySha256 must be the 64 hex characters of a SHA-256 digest')
    .transform((hex) => hex.toLowerCase())
    .optional(),
  orgs: z
    .array(z.string().refine((org) => org === '*' || ORG_ID_PATTERN.test(org), 'orgs entries must be "*" or valid org ids'))
    .min(1, 'orgs must list at least one org or "*"'),
  maxTtl: z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      const seconds = parseDuration(value);
      if (seconds === undefined || seconds < 60) {
        ctx.addIssue({ code: 'custom', message: 'maxTtl must be at least 60 seconds, as seconds or "15m"-style' });
        return z.NEVER;
      }
      return seconds;
    })
    .optional(),
  audiences: z.array(z.string().min(1), 'audiences must be an array of strings').min(1, 'audiences must list at least one audience').optional(),
  tags: tagsSchema.optional(),
  restrictions: restrictionsSchema.optional(),
  rateLimitPerMinute: z.number().int('rateLimitPerMinute must be a whole number').min(1, 'rateLimitPerMinute must be at least 1').max(1_000_000, 'rateLimitPerMinute must be at most 1000000').optional(),
  jwks: z.strictObject({ keys: z.array(jwkSchema, 'jwks.keys must be an array of JWKs').min(1, 'jwks.keys must list at least one key') }, 'jwks must be a JWK Set { "keys": [...] }').optional(),
  jwksUri: z
    .url({ protocol: /^https?$/, error: 'jwksUri must be an http(s) URL' })
    .refine((uri) => uri.startsWith('https:') || isLoopbackUrl(uri), 'jwksUri must use https (http only for a loopback host)')
    // fetch refuses a URL with a user name or password before any request: such an entry could never be fetched.
    .refine((uri) => !URL.canParse(uri) || noCredentials(new URL(uri)), 'jwksUri must not hold a user name or password (fetch refuses them; a JWK Set is public)')
    .optional(),
  authMethods: z.array(z.enum(CLIENT_AUTH_METHODS, { error: `authMethods entries must be among ${CLIENT_AUTH_METHODS.join(', ')}` }), 'authMethods must be an array').min(1, 'authMethods must list at least one method').optional(),
});

/**
 * Validates a CALLERS document; a bad entry stops start-up naming the variable and the entry.
 *
 * @example
 * parseCallers('[{"id":"web","keySha256":"…64 hex…","orgs":["*"]}]', 'CALLERS');
 */
export function parseCallers(json: string, variable: string, { audiences: configured }: { audiences?: readonly string[] } = {}): Caller[] {
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch {
    throw new ConfigError(variable, `is not valid JSON (${jsonErrorLocation(json)})`);
  }
  if (!Array.isArray(document)) throw new ConfigError(variable, 'must be a JSON array of callers');
  if (document.length === 0) throw new ConfigError(variable, 'must list at least one caller');

  const ids = new Set<string>();
  const hashes = new Set<string>();
  return document.map((entry: unknown, index) => {
    const label = describeEntry(entry, index);
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ConfigError(variable, `${label}: must be an object`);
    const parsed = callerSchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConfigError(variable, `${label}: ${issue ? issueMessage(issue, entry as Record<string, unknown>) : 'is invalid'}`);
    }
    const { id, keySha256, orgs, maxTtl, rateLimitPerMinute, audiences, tags, restrictions } = parsed.data;
    if (restrictions !== undefined && !tags?.includes('public')) {
      throw new ConfigError(variable, `${label}: restrictions apply to public tokens; add "public" to tags`);
    }
    if (configured !== undefined && audiences?.some((audience) => !configured.includes(audience))) {
      throw new ConfigError(variable, `${label}: audiences must be among TOKEN_AUDIENCE`);
    }
    const { jwks, jwksUri, authMethods } = parsed.data;
    const credentialProblem = checkCredentials(keySha256, jwks !== undefined || jwksUri !== undefined, authMethods);
    if (credentialProblem !== undefined) throw new ConfigError(variable, `${label}: ${credentialProblem}`);
    if (ids.has(id)) throw new ConfigError(variable, `${label}: id is used by another entry`);
    if (keySha256 !== undefined && hashes.has(keySha256)) throw new ConfigError(variable, `${label}: keySha256 is used by another entry`);
    ids.add(id);
    if (keySha256 !== undefined) hashes.add(keySha256);
    return Object.freeze({
      id,
      keySha256,
      orgs: orgs.includes('*') ? undefined : new Set(orgs),
      maxTtl,
      rateLimitPerMinute,
      ...(audiences !== undefined && { audiences: Object.freeze(audiences) }),
      ...(tags !== undefined && { tags: Object.freeze(tags) }),
      ...(restrictions !== undefined && { restrictions: Object.freeze(restrictions) }),
      defaultScopes: defaultScopes(restrictions),
      ...(jwks !== undefined && { jwks: Object.freeze({ keys: Object.freeze(jwks.keys.map((jwk) => Object.freeze({ ...jwk }))) }) }),
      ...(jwksUri !== undefined && { jwksUri }),
      ...(authMethods !== undefined && { authMethods: new Set(authMethods) }),
    });
  });
}

/** The scopes a request without restrictions gets, built once: the hot path copies nothing. */
export function defaultScopes(restrictions?: TokenRestrictions): Caller['defaultScopes'] {
  return Object.freeze({
    private: Object.freeze({ tag: 'private' as const }),
    public: Object.freeze(restrictions === undefined ? { tag: 'public' as const } : { tag: 'public' as const, restrictions: effectiveRestrictions(restrictions) }),
  });
}

/** A caller needs a credential, and every method it lists needs the credential that method presents. */
function checkCredentials(keySha256: string | undefined, hasKeys: boolean, authMethods: readonly ClientAuthMethod[] | undefined): string | undefined {
  if (keySha256 === undefined && !hasKeys) return 'needs keySha256, jwks or jwksUri';
  for (const method of authMethods ?? []) {
    if (method === 'private_key_jwt' && !hasKeys) return 'authMethods lists private_key_jwt but the entry has no jwks or jwksUri';
    if (method !== 'private_key_jwt' && keySha256 === undefined) return `authMethods lists ${method} but the entry has no keySha256`;
  }
  return undefined;
}

function isLoopbackUrl(uri: string): boolean {
  const hostname = URL.parse(uri)?.hostname ?? '';
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function describeEntry(entry: unknown, index: number): string {
  const id = typeof entry === 'object' && entry !== null ? (entry as { id?: unknown }).id : undefined;
  return typeof id === 'string' && /^[\x20-\x7e]{1,64}$/.test(id) ? `entry ${index} ("${id}")` : `entry ${index}`;
}

function issueMessage(issue: z.core.$ZodIssue, entry: Record<string, unknown>): string {
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_type') {
    const field = String(issue.path[0]);
    if (field === 'jwks' && issue.path.length === 1 && field in entry) return issue.message;
    return issue.path.length === 1 && !(field in entry) ? `${field} is required` : `${issue.path.join('.')} must be ${issue.expected === 'array' ? 'an array' : `a ${issue.expected}`}`;
  }
  return issue.message;
}

function noCredentials({ username, password }: URL): boolean {
  return username === '' && password === '';
}
