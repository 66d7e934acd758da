/**
 * Reads the token request form (RFC 6749 §4.4.2, §2.3.1, RFC 7523 §2.2, RFC 8707 §2) into named fields.
 * The body is decoded with Node's WHATWG `URLSearchParams`: the application/x-www-form-urlencoded
 * parser of the HTML standard RFC 6749 Appendix B refers to, UTF-8 only, as Appendix B requires.
 */
import { OAuthError } from './oauth-error.js';

/** RFC 7523 §2.2: the one client assertion type. */
export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface TokenForm {
  readonly grantType: string;
  readonly scope: string | undefined;
  readonly orgId: string | undefined;
  /** `audience`, or `resource` (RFC 8707) when that is what the client sends. */
  readonly audience: string | undefined;
  readonly clientId: string | undefined;
  readonly clientSecret: string | undefined;
  readonly clientAssertionType: string | undefined;
  readonly clientAssertion: string | undefined;
}

const FIELDS = {
  grant_type: 'grantType',
  scope: 'scope',
  org_id: 'orgId',
  audience: 'audience',
  resource: 'resource',
  client_id: 'clientId',
  client_secret: 'clientSecret',
  client_assertion_type: 'clientAssertionType',
  client_assertion: 'clientAssertion',
} as const;

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The form's text: its bytes decoded as UTF-8 (bytes that are not UTF-8 are refused, never replaced),
 * and a leading "?" kept as a character, as the HTML standard's parser keeps it (URLSearchParams's
 * constructor would drop it).
 */
function formText(body: Uint8Array | string | undefined): string {
  let text: string;
  try {
    text = body === undefined ? '' : typeof body === 'string' ? body : UTF8.decode(body);
  } catch {
    throw new OAuthError('invalid_request', 'The form is not valid UTF-8 (RFC 6749 Appendix B)');
  }
  return text.startsWith('?') ? `&${text}` : text;
}

/** Parameters in one form at most: the endpoint knows nine, and a client sends a few more at most. */
export const MAX_FORM_PARAMETERS = 32;

type FieldName = (typeof FIELDS)[keyof typeof FIELDS];

/**
 * Reads the parameters this endpoint knows from the form (none without a body); others are
 * ignored (§3.2). A parameter sent twice is refused (§3.2: "MUST NOT be included more than once"),
 * and so is an empty one, which no client sends on purpose.
 *
 * @example
 * readTokenForm(Buffer.from('grant_type=client_credentials&scope=org%3Aorg_a')); // { grantType: 'client_credentials', scope: 'org:org_a', … }
 */
export function readTokenForm(body: Uint8Array | string | undefined): TokenForm {
  const values: Partial<Record<FieldName, string>> = {};
  let count = 0;
  for (const [parameter, value] of new URLSearchParams(formText(body))) {
    if (++count > MAX_FORM_PARAMETERS) throw new OAuthError('invalid_request', `The form has more than ${MAX_FORM_PARAMETERS} parameters`);
    if (!Object.hasOwn(FIELDS, parameter)) continue;
    const name = FIELDS[parameter as keyof typeof FIELDS];
    if (values[name] !== undefined) throw new OAuthError('invalid_request', `${parameter} is repeated; send each parameter once`);
    if (value === '') throw new OAuthError('invalid_request', `${parameter} is empty`);
    values[name] = value;
  }
  if (values.grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required (client_credentials)');
  const { audience, resource } = values;
  if (audience !== undefined && resource !== undefined && audience !== resource) throw new OAuthError('invalid_request', 'audience and resource name different audiences; send one');
  return {
    grantType: values.grantType,
    scope: values.scope,
    orgId: values.orgId,
    audience: audience ?? resource,
    clientId: values.clientId,
    clientSecret: values.clientSecret,
    clientAssertionType: values.clientAssertionType,
    clientAssertion: values.clientAssertion,
  };
}

/** The scope this endpoint understands: `org:<orgId>`, the one org the token is for. */
const ORG_SCOPE = /^org:(.+)$/;

/**
 * The org the client asks for: `org_id`, or its `org:<id>` scope (the two must agree), else none
 * (ORG_ID then applies, in validateTokenRequest). Any other scope value is refused (§5.2 invalid_scope).
 *
 * @example
 * requestedOrg({ scope: 'org:org_a', orgId: undefined }); // 'org_a'
 */
export function requestedOrg({ scope, orgId }: Pick<TokenForm, 'scope' | 'orgId'>): string | undefined {
  // What nearly every client sends: one org: scope, or none.
  const single = scope !== undefined && !scope.includes(' ') ? ORG_SCOPE.exec(scope)?.[1] : undefined;
  if (single !== undefined) return agreeing(orgId, single);
  const fromScope = new Set<string>();
  for (const value of scope?.split(' ') ?? []) {
    if (value === '') continue;
    const org = ORG_SCOPE.exec(value)?.[1];
    if (org === undefined) throw new OAuthError('invalid_scope', `Unknown scope ${JSON.stringify(value.slice(0, 64))}; ask for org:<orgId>`);
    fromScope.add(org);
  }
  if (fromScope.size > 1) throw new OAuthError('invalid_scope', 'Ask for one org:<orgId> scope; a token is for one org');
  const [scoped] = fromScope;
  return agreeing(orgId, scoped);
}

function agreeing(orgId: string | undefined, scoped: string | undefined): string | undefined {
  if (orgId !== undefined && scoped !== undefined && orgId !== scoped) throw new OAuthError('invalid_request', 'org_id and the org: scope name different orgs; send one');
  return orgId ?? scoped;
}
