/** Verifies a `private_key_jwt` client assertion (RFC 7523 §3) against the keys registered for its caller. */
import {
  createLocalJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import type { Caller } from '../auth/caller.js';
import { ASYMMETRIC_ALGORITHMS } from '../keys/algorithms.js';
import { invalidClient, OAuthError } from './oauth-error.js';
import { createRemoteKeySet, JWKS_FETCH_FAILED, JWKS_FETCH_IN_FLIGHT, JWKS_FETCH_TIMEOUT_MS, KeySetUnavailable, type JwksFetchFailure, type WaitingCount } from './remote-key-set.js';
import type { AssertionReplayStore } from './assertion-replay-store.js';
import type { AssertionOutcome, AssertionRules, AssertionThread } from './assertion-thread.js';

/** Public-key algorithms only: `none` and HS* (an HMAC keyed with the public key) never verify (RFC 8725 §3.1). */
export const ASSERTION_ALGORITHMS: readonly string[] = [...ASYMMETRIC_ALGORITHMS, 'Ed25519'];
/** RFC 7523 §3 item 4 leaves the limit to the server; five minutes covers any client's clock and retries. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;
/** Clock difference tolerated between client and server. */
const CLOCK_TOLERANCE_SECONDS = 5;
/** A `jti` is the client's nonce, not a document. */
const MAX_JTI_LENGTH = 256;

export interface ClientAssertionOptions {
  readonly replay: AssertionReplayStore;
  /** Milliseconds since the epoch. */
  readonly clock?: () => number;
  /** How long a `jwksUri` fetch may take (JWKS_FETCH_TIMEOUT_MS unless given); tests and the bench set short timeouts. */
  readonly remoteTimeoutMs?: number;
  /** Told of each failed `jwksUri` fetch (at most one per URI per cooldown), for the log. */
  readonly onJwksFetchFailed?: (failure: JwksFetchFailure) => void;
  /** Verifies assertions checked against an inline `jwks` off the event loop; on the event loop without it. */
  readonly thread?: AssertionThread;
}

/** Checks one assertion for one caller; `audiences` are the values `aud` may take (the token endpoint URL, the issuer). */
export type VerifyClientAssertion = (assertion: string, caller: Caller, audiences: readonly string[]) => Promise<void>;

/**
 * Builds the verifier. The key set of each caller is built once and kept (inline `jwks` imported once,
 * `jwksUri` fetched with jose's remote JWK Set: cached, one request in flight, an unknown `kid`
 * refetched only after a cooldown; refused at once for a while after a failed fetch, remote-key-set.ts).
 *
 * @example
 * const verify = createClientAssertionVerifier({ replay: createMemoryReplayStore() });
 * await verify(form.clientAssertion, caller, ['https://tokens.example/oauth/token', 'https://tokens.example']);
 */
export function createClientAssertionVerifier({ replay, clock = Date.now, remoteTimeoutMs = JWKS_FETCH_TIMEOUT_MS, onJwksFetchFailed, thread }: ClientAssertionOptions): VerifyClientAssertion {
  const keySets = new WeakMap<Caller, JWTVerifyGetKey | undefined>();
  // The inline key set as the thread receives it, serialised once per caller entry; the audiences likewise, once per list.
  const keyTexts = new WeakMap<Caller, string>();
  const keyTextOf = (caller: Caller): string => {
    let text = keyTexts.get(caller);
    if (text === undefined) keyTexts.set(caller, (text = JSON.stringify(caller.jwks ?? NO_KEYS)));
    return text;
  };
  let lastAudiences: { readonly list: readonly string[]; readonly text: string } | undefined;
  const audienceTextOf = (list: readonly string[]): string => {
    if (lastAudiences?.list !== list) lastAudiences = { list, text: JSON.stringify(list) };
    return lastAudiences.text;
  };
  const remoteSets = new Map<string, JWTVerifyGetKey>();
  // One count of requests waiting on fetches, across every jwksUri (MAX_WAITING_IN_ALL).
  const waiting: WaitingCount = { count: 0 };

  function keySetOf(caller: Caller): JWTVerifyGetKey | undefined {
    if (keySets.has(caller)) return keySets.get(caller);
    const local = caller.jwks && createLocalJWKSet(caller.jwks as unknown as JSONWebKeySet);
    let remote: JWTVerifyGetKey | undefined;
    if (caller.jwksUri !== undefined) {
      remote = remoteSets.get(caller.jwksUri);
      if (!remote) {
        remote = createRemoteKeySet(caller.jwksUri, { clock, timeoutMs: remoteTimeoutMs, waiting, ...(onJwksFetchFailed && { onFetchFailed: onJwksFetchFailed }) });
        remoteSets.set(caller.jwksUri, remote);
      }
    }
    const keySet: JWTVerifyGetKey | undefined =
      local && remote
        ? // The inline set first; the published one holds keys added since.
          async (header, token) => {
            try {
              return await local(header, token);
            } catch (error) {
              if (error instanceof errors.JWKSNoMatchingKey) return remote(header, token);
              throw error;
            }
          }
        : (local ?? remote);
    keySets.set(caller, keySet);
    return keySet;
  }

  return async function verifyClientAssertion(assertion, caller, audiences) {
    // A client without keys (or one that does not exist, authenticate-client.ts) is judged as one whose keys do not
    // match: the same answers, from the same checks, as a registered client's, so they tell nobody which ids exist.
    const keySet = keySetOf(caller) ?? NO_KEY_SET;
    const now = clock();
    // Verified here later (the thread failed or stalled), the assertion is judged at that time, not at arrival.
    const here = () => verifyHere(assertion, keySet, caller.id, audiences, clock());
    // A jwksUri set lives on the event loop (fetched, cached, refetched there); an inline one travels.
    const outcome =
      thread && caller.jwksUri === undefined
        ? await thread.verify({ assertion, clientId: caller.id, keys: keyTextOf(caller), audiences: audienceTextOf(audiences), nowMs: now }, here)
        : await here();
    if ('failure' in outcome) throw refusalOf(outcome.failure);
    const { exp, iat, jti } = outcome.payload as { exp: number; iat?: number; jti: unknown };
    // Freshness and replay are judged now, after the signature, however long that took.
    const checkedAt = clock();
    const usableUntil = usableUntilOf(exp, iat, checkedAt / 1000);
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) throw invalidClient(`The client assertion's jti must be a string of 1-${MAX_JTI_LENGTH} characters`, false);
    // Remembered for as long as it is usable (plus the tolerance, during which it would still verify).
    if (!(await replay.firstUse(`${caller.id}\u0000${jti}`, (usableUntil + CLOCK_TOLERANCE_SECONDS) * 1000, checkedAt))) {
      throw invalidClient('The client assertion was already used; sign a new one with a fresh jti', false);
    }
  };
}

/** The key set of a client that has none. */
const NO_KEYS: JSONWebKeySet = Object.freeze({ keys: [] });
const NO_KEY_SET = createLocalJWKSet(NO_KEYS);

/** What jose checks of every assertion, on the event loop and on the thread alike (RFC 7523 §3, RFC 8725 §3.1). */
export const ASSERTION_RULES: AssertionRules = Object.freeze({
  algorithms: [...ASSERTION_ALGORITHMS],
  requiredClaims: ['exp', 'jti'],
  clockTolerance: CLOCK_TOLERANCE_SECONDS,
});

/** jose's jwtVerify on the event loop, its answer in the shape the thread gives. */
async function verifyHere(assertion: string, keySet: JWTVerifyGetKey, clientId: string, audiences: readonly string[], now: number): Promise<AssertionOutcome> {
  try {
    const { payload } = await jwtVerify(assertion, keySet, { ...ASSERTION_RULES, issuer: clientId, subject: clientId, audience: [...audiences], currentDate: new Date(now) });
    return { payload: { exp: payload.exp, iat: payload.iat, jti: payload.jti } };
  } catch (error) {
    if (error instanceof KeySetUnavailable) return { failure: { code: error.code } };
    // A failure below jose (a registered key WebCrypto cannot import) carries no jose code, as on the thread;
    // a failed fetch of a jwksUri set arrives as KeySetUnavailable above, never here.
    if (!(error instanceof errors.JOSEError)) return { failure: {} };
    return { failure: { code: error.code, ...(error instanceof errors.JWTClaimValidationFailed && { claim: error.claim }) } };
  }
}

/**
 * Until when (seconds) an assertion may be used: its `exp` when that is at most five minutes ahead;
 * otherwise five minutes after its `iat`. The second rule exists for authlib, whose PrivateKeyJWT
 * signs `exp = iat + 3600` with no setting to shorten it: such an assertion is taken while fresh,
 * and its `jti` is remembered exactly as long, so the window a stolen assertion opens stays five minutes.
 */
function usableUntilOf(exp: number, iat: number | undefined, nowSeconds: number): number {
  // Judged again now: the signature was checked at arrival, and a jti remembered until a moment already past would be forgotten at once.
  if (exp + CLOCK_TOLERANCE_SECONDS <= nowSeconds) throw invalidClient('The client assertion has expired', false);
  const latest = nowSeconds + MAX_ASSERTION_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS;
  if (exp <= latest) return exp;
  if (typeof iat !== 'number' || iat > nowSeconds + CLOCK_TOLERANCE_SECONDS) {
    throw invalidClient(`The client assertion's exp must be at most ${MAX_ASSERTION_LIFETIME_SECONDS} seconds ahead (or its iat at most ${MAX_ASSERTION_LIFETIME_SECONDS} seconds ago)`, false);
  }
  const until = Math.min(exp, iat + MAX_ASSERTION_LIFETIME_SECONDS);
  if (until + CLOCK_TOLERANCE_SECONDS <= nowSeconds) throw invalidClient(`The client assertion was signed more than ${MAX_ASSERTION_LIFETIME_SECONDS} seconds ago; sign a fresh one`, false);
  return until;
}

/**
 * A refusal: `invalid_client` for the assertion, except while another request waits on the fetch of
 * the client's `jwksUri`, which is no fault of this one (503 and a retry, as for any outage).
 */
function refusalOf(failure: { readonly code?: string; readonly claim?: string }): OAuthError {
  if (failure.code === JWKS_FETCH_IN_FLIGHT) {
    return new OAuthError('temporarily_unavailable', 'The keys registered at this client\'s jwksUri are being fetched; retry in a second', { status: 503, headers: { 'Retry-After': '1' } });
  }
  return invalidClient(describeFailure(failure), false);
}

/** What the client is told: which check failed (jose's error code), never key material or the assertion. */
function describeFailure({ code, claim }: { readonly code?: string; readonly claim?: string }): string {
  switch (code) {
    case errors.JWTExpired.code:
      return 'The client assertion has expired';
    case errors.JWTClaimValidationFailed.code:
      return claim === 'aud'
        ? 'The client assertion\'s aud must be the token endpoint URL or the issuer'
        : `The client assertion's ${claim} claim is missing or not valid (iss and sub must be the client id)`;
    case errors.JOSEAlgNotAllowed.code:
      return `The client assertion's alg is not accepted; use one of ${ASSERTION_ALGORITHMS.join(', ')}`;
    case errors.JWKSNoMatchingKey.code:
    case errors.JWSSignatureVerificationFailed.code:
    case errors.JWKSMultipleMatchingKeys.code:
      return 'The client assertion is not signed by a key registered for this client';
    // jose's JWKSTimeout never arrives here: remote-key-set.ts turns every failed fetch into JWKS_FETCH_FAILED.
    case errors.JWKSInvalid.code:
    case JWKS_FETCH_FAILED:
      return 'The keys registered at this client\'s jwksUri could not be fetched';
    case errors.JOSENotSupported.code:
      return 'The client assertion uses an algorithm or key type that is not supported';
    default:
      return 'The client assertion is not a valid signed JWT';
  }
}
