/** A client's `jwksUri` key set: jose's remote JWK Set, plus what it lacks for a URI whose host is run by someone else. */
import { createLocalJWKSet, createRemoteJWKSet, errors, type JWTVerifyGetKey } from 'jose';

type Header = Parameters<JWTVerifyGetKey>[0];
type Token = Parameters<JWTVerifyGetKey>[1];

/**
 * How long a request may wait on a `jwksUri` fetch. node-oidc-provider gives every request it makes,
 * a client's `jwks_uri` among them, 2.5 s (lib/helpers/request.js); Envoy's jwt_authn has no default
 * (its `http_uri.timeout` must be set). A JWK Set is a few hundred bytes on an internal network: a
 * host that answers at all answers in milliseconds, so jose's 5 s only doubled how long a host that
 * does not answer keeps a request, and its connection, waiting.
 */
export const JWKS_FETCH_TIMEOUT_MS = 2500;

/**
 * After a fetch fails, how long the requests that need a fetch are refused at once instead of each
 * waiting on a new one (jose itself has no cooldown after a failure). jose's own cooldown for an
 * unknown `kid` after a successful fetch: a client whose host comes back waits no longer for its
 * keys than one that has just published a new key does, and a host that stays down costs one
 * waiting request every 30 s instead of one per request.
 */
export const FAILED_FETCH_COOLDOWN_MS = 30_000;

/**
 * Requests that may wait on one URI's fetch at a time. jose shares one fetch among them, while each
 * holds a connection that the connection cap cannot shed (src/http/connection-guard.ts): without a
 * bound, anyone who knows the client id could fill every slot for as long as the fetch takes. The
 * others are answered from the keys jose holds, when these have the assertion's key, and are
 * otherwise told to retry in a second. Sixteen, not one: a client's own burst during a fetch (its
 * fleet starting, its set refreshed every 10 minutes under load) waits as it does in jose instead
 * of getting 503s, while a host that hangs costs at most 16 slots for 2.5 s in every 30 s.
 */
export const MAX_WAITING_PER_URI = 16;

/**
 * Requests that may wait on fetches at a time, across every `jwksUri` of the verifier: with many
 * clients' sets on one host that goes down, 16 per URI would add up to a cap's worth. Each URI's
 * first request, the one that starts its fetch, waits in any case.
 */
export const MAX_WAITING_IN_ALL = 64;

/** The count of requests in jose's hands across the key sets of one verifier. */
export interface WaitingCount {
  count: number;
}

/** The last fetch failed: refused as `invalid_client` until the cooldown ends. */
export const JWKS_FETCH_FAILED = 'ERR_TOKENVEND_JWKS_FETCH';
/** A fetch is in flight and has as many waiters as may wait: retry shortly. */
export const JWKS_FETCH_IN_FLIGHT = 'ERR_TOKENVEND_JWKS_FETCH_IN_FLIGHT';

/** Why a `jwksUri` key set gave no key without asking jose; the code says which refusal it is. */
export class KeySetUnavailable extends Error {
  constructor(readonly code: typeof JWKS_FETCH_FAILED | typeof JWKS_FETCH_IN_FLIGHT) {
    super(code === JWKS_FETCH_FAILED ? 'the jwksUri could not be fetched' : 'the jwksUri is being fetched');
    this.name = 'KeySetUnavailable';
  }
}

/** One failed fetch, as it is logged: never an assertion, never a key. */
export interface JwksFetchFailure {
  /** The URI without credentials, query or fragment, which an operator may have put a secret in. */
  readonly jwksUri: string;
  readonly error: unknown;
  /** When the next assertion that needs the keys fetches again. */
  readonly retryInMs: number;
}

export interface RemoteKeySetOptions {
  /** Milliseconds since the epoch; the cooldown runs on it. */
  readonly clock?: () => number;
  readonly timeoutMs?: number;
  readonly cooldownMs?: number;
  /** Called once per failed fetch, so at most once per cooldown. */
  readonly onFetchFailed?: (failure: JwksFetchFailure) => void;
  /** Shared by the key sets of one verifier, for MAX_WAITING_IN_ALL; a set of its own otherwise. */
  readonly waiting?: WaitingCount;
}

/**
 * Builds the key set of one `jwksUri`. jose fetches, caches (10 minutes), shares one fetch in flight
 * and refetches for an unknown `kid` at most every 30 s after a success. Added here: after a failed
 * fetch, whatever needs a fetch is refused at once for `cooldownMs` (what jose still holds from a
 * fetch within its 10 minutes keeps verifying), and only `MAX_WAITING_PER_URI` requests wait on a fetch
 * (the others are answered from keys within those 10 minutes, or told to retry).
 *
 * @example
 * const keys = createRemoteKeySet('https://partner.example/jwks.json', { onFetchFailed: (failure) => logger.warn(failure) });
 * await jwtVerify(assertion, keys, options);
 */
export function createRemoteKeySet(
  jwksUri: string,
  { clock = Date.now, timeoutMs = JWKS_FETCH_TIMEOUT_MS, cooldownMs = FAILED_FETCH_COOLDOWN_MS, onFetchFailed = () => undefined, waiting = { count: 0 } }: RemoteKeySetOptions = {},
): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: timeoutMs });
  const loggedUri = withoutSecrets(jwksUri);
  let failedUntil = Number.NEGATIVE_INFINITY;
  let callsInJose = 0;
  // jose's keys as a set of our own, to look a kid up without jose fetching for it; built when first
  // needed and dropped whenever a call into jose ends, the only time jose may have replaced them.
  let keysInHand: JWTVerifyGetKey | undefined | null = null;

  async function fromKeysInHand(header: Header, token: Token, usable: boolean, refusal: KeySetUnavailable['code']) {
    if (usable) {
      if (keysInHand === null) {
        const jwks = remote.jwks();
        keysInHand = jwks && createLocalJWKSet(jwks);
      }
      if (keysInHand) {
        try {
          return await keysInHand(header, token);
        } catch (error) {
          if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
        }
      }
    }
    throw new KeySetUnavailable(refusal);
  }

  async function fromJose(header: Header, token: Token) {
    callsInJose += 1;
    waiting.count += 1;
    try {
      return await remote(header, token);
    } finally {
      callsInJose -= 1;
      waiting.count -= 1;
      keysInHand = null;
    }
  }

  return async function keyOf(header, token) {
    // Cooling down: no fetch; only keys jose still calls fresh (10 minutes from the fetch that brought them).
    if (clock() < failedUntil) return fromKeysInHand(header, token, remote.fresh, JWKS_FETCH_FAILED);
    // Calls into jose that find their key settle within the event-loop turn: one still there while a fetch is in flight waits on it.
    // Only keys jose still calls fresh answer the others: a stale set is being refreshed because it is stale, and while its
    // host hangs that refresh fails and is retried every cooldown, so stale keys would be trusted again at each try.
    if (remote.reloading && (callsInJose >= MAX_WAITING_PER_URI || waiting.count >= MAX_WAITING_IN_ALL)) return fromKeysInHand(header, token, remote.fresh, JWKS_FETCH_IN_FLIGHT);
    try {
      return await fromJose(header, token);
    } catch (error) {
      if (!isFetchFailure(error)) throw error;
      const now = clock();
      if (now >= failedUntil) {
        failedUntil = now + cooldownMs;
        onFetchFailed({ jwksUri: loggedUri, error, retryInMs: cooldownMs });
      }
      return fromKeysInHand(header, token, remote.fresh, JWKS_FETCH_FAILED);
    }
  };
}

/**
 * Whether jose failed to fetch the set: no answer in time, a refused connection, a status other than
 * 200, a body that is not a JWK Set. Not its answers about a set it holds (no key, several, one that
 * cannot be imported): those start no cooldown, else anyone naming a bad key could start one.
 */
function isFetchFailure(error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout) return true;
  // jose's JWKSInvalid is a fetched body that is no JWK Set ("JSON Web Key Set malformed"), or, at lookup, one member
  // that is not a public key ("members must be public keys"): only the first is a failed fetch. Told apart by jose's
  // message, the one thing that differs; remote-key-set.test.ts pins both, so a jose that rewords them fails a test.
  if (error instanceof errors.JWKSInvalid) return /malformed/i.test(error.message);
  // jose's answer to a status other than 200 or a body that is not JSON: a JOSEError of no subclass.
  if (error instanceof errors.JOSEError) return error.code === errors.JOSEError.code;
  // fetch's own: a TypeError whose cause is the network's error (refused, reset, no such host). A key in
  // the set that cannot be imported fails otherwise (WebCrypto's DataError), and is no failed fetch.
  // By name: fetch's errors come from Node's own realm, where `instanceof TypeError` of another realm (a vm, jest) fails.
  const { name, cause } = (error ?? {}) as { name?: unknown; cause?: unknown };
  return name === 'TypeError' && cause !== undefined;
}

function withoutSecrets(uri: string): string {
  const { origin, pathname } = new URL(uri);
  return `${origin}${pathname}`;
}
