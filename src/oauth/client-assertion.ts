/** Verifies a `private_key_jwt` client assertion (RFC 7523 §3) against the keys registered for its caller. */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import type { Caller } from '../auth/caller.js';
import { ASYMMETRIC_ALGORITHMS } from '../keys/algorithms.js';
import { invalidClient, OAuthError } from './oauth-error.js';
import type { AssertionReplayStore } from './assertion-replay-store.js';

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
  /** Where a `jwksUri` is fetched from; tests and the bench set short timeouts. */
  readonly remoteTimeoutMs?: number;
}

/** Checks one assertion for one caller; `audiences` are the values `aud` may take (the token endpoint URL, the issuer). */
export type VerifyClientAssertion = (assertion: string, caller: Caller, audiences: readonly string[]) => Promise<void>;

/**
 * Builds the verifier. The key set of each caller is built once and kept (inline `jwks` imported once,
 * `jwksUri` fetched with jose's remote JWK Set: cached, one request in flight, an unknown `kid`
 * refetched only after a cooldown).
 *
 * @example
 * const verify = createClientAssertionVerifier({ replay: createMemoryReplayStore() });
 * await verify(form.clientAssertion, caller, ['https://tokens.example/oauth/token', 'https://tokens.example']);
 */
export function createClientAssertionVerifier({ replay, clock = Date.now, remoteTimeoutMs = 5000 }: ClientAssertionOptions): VerifyClientAssertion {
  const keySets = new WeakMap<Caller, JWTVerifyGetKey | undefined>();
  const remoteSets = new Map<string, JWTVerifyGetKey>();

  function keySetOf(caller: Caller): JWTVerifyGetKey | undefined {
    if (keySets.has(caller)) return keySets.get(caller);
    const local = caller.jwks && createLocalJWKSet(caller.jwks as unknown as JSONWebKeySet);
    let remote: JWTVerifyGetKey | undefined;
    if (caller.jwksUri !== undefined) {
      remote = remoteSets.get(caller.jwksUri);
      if (!remote) remoteSets.set(caller.jwksUri, (remote = createRemoteJWKSet(new URL(caller.jwksUri), { timeoutDuration: remoteTimeoutMs })));
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
    const keySet = keySetOf(caller);
    if (!keySet) throw invalidClient('The client assertion is not valid for this client', false);
    const now = clock();
    let payload;
    try {
      ({ payload } = await jwtVerify(assertion, keySet, {
        algorithms: [...ASSERTION_ALGORITHMS],
        issuer: caller.id,
        subject: caller.id,
        audience: [...audiences],
        requiredClaims: ['exp', 'jti'],
        currentDate: new Date(now),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      }));
    } catch (error) {
      throw invalidClient(describeFailure(error), false);
    }
    const { exp, iat, jti } = payload as { exp: number; iat?: number; jti: unknown };
    const usableUntil = usableUntilOf(exp, iat, now / 1000);
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) throw invalidClient(`The client assertion's jti must be a string of 1-${MAX_JTI_LENGTH} characters`, false);
    // Remembered for as long as it is usable (plus the tolerance, during which it would still verify).
    if (!(await replay.firstUse(`${caller.id}\u0000${jti}`, (usableUntil + CLOCK_TOLERANCE_SECONDS) * 1000, now))) {
      throw invalidClient('The client assertion was already used; sign a new one with a fresh jti', false);
    }
  };
}

/**
 * Until when (seconds) an assertion may be used: its `exp` when that is at most five minutes ahead;
 * otherwise five minutes after its `iat`. The second rule exists for authlib, whose PrivateKeyJWT
 * signs `exp = iat + 3600` with no setting to shorten it: such an assertion is taken while fresh,
 * and its `jti` is remembered exactly as long, so the window a stolen assertion opens stays five minutes.
 */
function usableUntilOf(exp: number, iat: number | undefined, nowSeconds: number): number {
  const latest = nowSeconds + MAX_ASSERTION_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS;
  if (exp <= latest) return exp;
  if (typeof iat !== 'number' || iat > nowSeconds + CLOCK_TOLERANCE_SECONDS) {
    throw invalidClient(`The client assertion's exp must be at most ${MAX_ASSERTION_LIFETIME_SECONDS} seconds ahead (or its iat at most ${MAX_ASSERTION_LIFETIME_SECONDS} seconds ago)`, false);
  }
  const until = Math.min(exp, iat + MAX_ASSERTION_LIFETIME_SECONDS);
  if (until + CLOCK_TOLERANCE_SECONDS < nowSeconds) throw invalidClient(`The client assertion was signed more than ${MAX_ASSERTION_LIFETIME_SECONDS} seconds ago; sign a fresh one`, false);
  return until;
}

/** What the client is told: which check failed, never key material or the assertion. */
function describeFailure(error: unknown): string {
  if (error instanceof OAuthError) return error.description;
  if (error instanceof errors.JWTExpired) return 'The client assertion has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    return error.claim === 'aud'
      ? 'The client assertion\'s aud must be the token endpoint URL or the issuer'
      : `The client assertion's ${error.claim} claim is missing or not valid (iss and sub must be the client id)`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return `The client assertion's alg is not accepted; use one of ${ASSERTION_ALGORITHMS.join(', ')}`;
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSMultipleMatchingKeys) {
    return 'The client assertion is not signed by a key registered for this client';
  }
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return 'The keys registered at this client\'s jwksUri could not be fetched';
  // A fetch of a jwksUri that failed below jose (refused, reset) is not a JOSEError.
  if (!(error instanceof errors.JOSEError)) return 'The keys registered at this client\'s jwksUri could not be fetched';
  if (error instanceof errors.JOSENotSupported) return 'The client assertion uses an algorithm or key type that is not supported';
  return 'The client assertion is not a valid signed JWT';
}
