/**
 * Client authentication at the token endpoint (RFC 6749 §2.3): `client_secret_basic`,
 * `client_secret_post`, or `private_key_jwt` (RFC 7523 §2.2). Exactly one per request (§2.3).
 */
import { isWellFormedCallerKey } from '../auth/caller-key-format.js';
import { decodeJwt } from 'jose';
import { defaultScopes, type Caller, type ClientAuthMethod } from '../auth/caller.js';
import type { CallerRegistry } from '../auth/caller-registry.js';
import type { VerifyClientAssertion } from './client-assertion.js';
import { invalidClient, OAuthError } from './oauth-error.js';
import { JWT_BEARER_ASSERTION, type TokenForm } from './parse-token-form.js';

/** The credentials one request presents, before they are checked. */
export type ClientCredentials =
  | { readonly method: 'client_secret_basic' | 'client_secret_post'; readonly clientId: string; readonly secret: string }
  | { readonly method: 'private_key_jwt'; readonly clientId: string; readonly assertion: string };

const BASIC = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i;
const MAX_HEADER_LENGTH = 4096;

/**
 * Reads which method the request uses and its credentials. Several methods at once, or a malformed
 * one, is `invalid_request`; none at all is `invalid_client`.
 *
 * @example
 * readClientCredentials('Basic d2ViOnR2X3NlY3JldA==', form); // { method: 'client_secret_basic', clientId: 'web', secret: 'tv_secret' }
 */
export function readClientCredentials(authorization: string | undefined, form: TokenForm): ClientCredentials {
  const basic = authorization === undefined ? undefined : readBasic(authorization);
  const hasSecret = form.clientSecret !== undefined;
  const hasAssertion = (form.clientAssertion ?? form.clientAssertionType) !== undefined;
  if (Number(basic !== undefined) + Number(hasSecret) + Number(hasAssertion) > 1) {
    const presented = [basic && 'Basic', hasSecret && 'client_secret', hasAssertion && 'client_assertion'].filter(Boolean);
    throw new OAuthError('invalid_request', `Use one client authentication method; this request has ${presented.join(' and ')}`);
  }

  if (basic) {
    if (form.clientId !== undefined && form.clientId !== basic.clientId) throw new OAuthError('invalid_request', 'client_id differs from the one in the Authorization header');
    return { method: 'client_secret_basic', ...basic };
  }
  if (form.clientSecret !== undefined) {
    if (form.clientId === undefined) throw new OAuthError('invalid_request', 'client_id is required with client_secret');
    return { method: 'client_secret_post', clientId: form.clientId, secret: form.clientSecret };
  }
  if (form.clientAssertion !== undefined || form.clientAssertionType !== undefined) {
    if (form.clientAssertionType !== JWT_BEARER_ASSERTION) throw new OAuthError('invalid_request', `client_assertion_type must be ${JWT_BEARER_ASSERTION}`);
    if (form.clientAssertion === undefined) throw new OAuthError('invalid_request', 'client_assertion is required with client_assertion_type');
    return { method: 'private_key_jwt', clientId: form.clientId ?? assertedClientId(form.clientAssertion), assertion: form.clientAssertion };
  }
  throw invalidClient('Authenticate the client: HTTP Basic, client_id and client_secret, or a client_assertion', false);
}

/**
 * RFC 6749 §2.3.1: `Basic base64(urlencode(id) ":" urlencode(secret))`. Another scheme is no Basic
 * credential at all (and falls to the other methods); a Basic header that cannot be read is refused.
 */
function readBasic(header: string): { clientId: string; secret: string } | undefined {
  if (!/^basic(?: |$)/i.test(header)) return undefined;
  const encoded = header.length <= MAX_HEADER_LENGTH ? BASIC.exec(header)?.[1] : undefined;
  if (encoded === undefined || encoded.length % 4 !== 0) throw new OAuthError('invalid_request', 'The Authorization header is not valid Basic credentials (base64 of client_id:client_secret)');
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new OAuthError('invalid_request', 'The Basic credentials must be client_id:client_secret');
  try {
    return { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    throw new OAuthError('invalid_request', 'The Basic credentials are not form-url-encoded (RFC 6749 §2.3.1)');
  }
}

function formDecode(value: string): string {
  // A caller key and most ids have nothing to decode.
  if (!value.includes('%') && !value.includes('+')) return value;
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/** Without client_id, the assertion names its client in `sub` (RFC 7523 §3 item 2); checked against its signature later. */
function assertedClientId(assertion: string): string {
  try {
    const { sub } = decodeJwt(assertion);
    if (typeof sub === 'string' && sub !== '') return sub;
  } catch {
    // Falls through to the same answer as a missing sub.
  }
  throw invalidClient('The client assertion is not a JWT naming its client in sub', false);
}

export interface AuthenticateClientOptions {
  readonly callers: CallerRegistry;
  readonly verifyAssertion: VerifyClientAssertion;
}

/** Checks the credentials; resolves to the caller, or rejects with invalid_client / unauthorized_client. */
export type AuthenticateClient = (credentials: ClientCredentials, assertionAudiences: readonly string[]) => Promise<Caller>;

/** What an unknown client would be told if its assertion verified, which none does (it has no keys). */
export const CLIENT_ASSERTION_REFUSED = 'The client assertion is not valid for this client';

/**
 * A secret is looked up as POST /tokens looks up a Bearer key (one hash, one map lookup) and must
 * belong to the client_id; an assertion must verify against that client's keys. A client whose
 * `authMethods` leave out the method it used is refused after its credentials check out.
 *
 * @example
 * const caller = await authenticateClient(readClientCredentials(req.headers.authorization, form), [tokenEndpoint, issuer]);
 */
export function createClientAuthenticator({ callers, verifyAssertion }: AuthenticateClientOptions): AuthenticateClient {
  return async function authenticateClient(credentials, assertionAudiences) {
    const triedBasic = credentials.method === 'client_secret_basic';
    let caller: Caller | undefined;
    if (credentials.method === 'private_key_jwt') {
      // An unknown client is judged as a registered client whose keys do not match, by the same checks (no keys
      // at all): the same answers, so the endpoint does not tell which ids exist.
      const registered = callers.byId(credentials.clientId);
      await verifyAssertion(credentials.assertion, registered ?? unknownClient(credentials.clientId), assertionAudiences);
      // Never reached for an unknown client (no key verifies its assertion); its type says so.
      if (!registered) throw invalidClient(CLIENT_ASSERTION_REFUSED, false);
      caller = registered;
    } else {
      // The same rule as POST /tokens: a secret that is not a well-formed caller key is never looked up,
      // so a weak or legacy key in CALLERS cannot be guessed through this door either.
      if (!isWellFormedCallerKey(credentials.secret)) throw invalidClient('The client id or secret is not valid', triedBasic);
      caller = callers.authenticate(credentials.secret);
      if (!caller || caller.id !== credentials.clientId) throw invalidClient('The client id or secret is not valid', triedBasic);
    }
    if (!allows(caller, credentials.method)) {
      throw new OAuthError('unauthorized_client', `This client may not authenticate with ${credentials.method}; its authMethods allow ${[...(caller.authMethods ?? [])].join(', ')}`);
    }
    return caller;
  };
}

const NO_SCOPES = defaultScopes();

/** A client id nobody registered, as the assertion verifier sees it: no keys, no rights. */
function unknownClient(id: string): Caller {
  return { id, orgs: new Set(), maxTtl: undefined, rateLimitPerMinute: undefined, defaultScopes: NO_SCOPES };
}

function allows(caller: Caller, method: ClientAuthMethod): boolean {
  return caller.authMethods === undefined || caller.authMethods.has(method);
}
