/** Finds the key for a token in the issuer's JWKS, discovering where the JWKS lives on first use when needed. */
import { createLocalJWKSet, createRemoteJWKSet, customFetch, errors, type JSONWebKeySet, type JWK, type JWTVerifyGetKey, type RemoteJWKSetOptions } from 'jose';
import { discoverJwksUri } from './discover-jwks-uri.js';
import { TokenVerificationError } from './errors.js';
import type { VerifierConfig } from './options.js';

type RemoteJWKSet = ReturnType<typeof createRemoteJWKSet>;

/**
 * Builds the key resolver handed to `jwtVerify`. jose calls it only after the header parsed and its
 * `alg` passed the allow-list, so junk tokens cause no network traffic. Key-set failures become
 * `ERR_TOKENVEND_JWKS_UNAVAILABLE`; a `kid` that is not in the set stays a token problem.
 *
 * @example
 * const resolveKey = createKeySource(parseVerifierOptions({ jwksUri: 'https://tokens.example.com/.well-known/jwks.json' }));
 * await jwtVerify(token, resolveKey, { algorithms: ['ES256'] });
 */
export function createKeySource(config: VerifierConfig): KeySource {
  const { keySource } = config;
  if ('keys' in keySource) {
    const { keys } = keySource.keys;
    return Object.assign(localKeySource(keySource.keys), { jwkFor: (kid: string | undefined) => keys.find((jwk) => jwk.kid === kid) });
  }
  const keySet =
    'jwksUri' in keySource
      ? resolved(openKeySet(keySource.jwksUri, config))
      : discoverKeySet(keySource.discoveryUri, keySource.issuer, config);
  let current: RemoteJWKSet | undefined;

  const resolveKey: JWTVerifyGetKey = async function resolveKey(header, token) {
    const jwks = await keySet();
    current = jwks;
    try {
      return await jwks(header, token);
    } catch (err) {
      if (isTokenProblem(err)) throw err;
      throw new TokenVerificationError('ERR_TOKENVEND_JWKS_UNAVAILABLE', 'The JWKS could not be retrieved', { cause: err });
    }
  };
  return Object.assign(resolveKey, { jwkFor: (kid: string | undefined) => current?.jwks()?.keys.find((jwk) => jwk.kid === kid) });
}

/** The key resolver, and the published JWK a `kid` named (for the org binding of per-org keys). */
export type KeySource = JWTVerifyGetKey & { jwkFor(kid: string | undefined): JWK | undefined };

/**
 * Local keys: jose picks the key by kid and alg, as in a fetched set; nothing is fetched. A PEM, or a
 * JWK without `kid`, cannot name itself, so it is tried for whatever `kid` the token names.
 */
function localKeySource(keys: JSONWebKeySet): JWTVerifyGetKey {
  const byKid = createLocalJWKSet(keys);
  const unnamed = keys.keys.filter((jwk) => jwk.kid === undefined);
  if (unnamed.length === 0) return byKid;
  const anyKid = createLocalJWKSet({ keys: unnamed });
  return async function resolveLocalKey(header, token) {
    try {
      return await byKid(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      return anyKid({ ...header, kid: undefined }, token);
    }
  };
}

/** jose caches the set, shares one in-flight fetch and refetches for an unknown `kid` only after the cooldown. */
function openKeySet(url: URL, config: VerifierConfig): RemoteJWKSet {
  const options: RemoteJWKSetOptions = {
    cooldownDuration: config.jwksCooldownMs,
    cacheMaxAge: config.jwksCacheMaxAgeMs,
    timeoutDuration: config.timeoutMs,
  };
  if (config.fetch) options[customFetch] = config.fetch;
  return createRemoteJWKSet(url, options);
}

/**
 * Discovers once, lazily; concurrent first calls share the in-flight discovery. A failed discovery is
 * forgotten, so the next token tries again instead of failing forever.
 */
function discoverKeySet(discoveryUri: URL, issuer: string, config: VerifierConfig): () => Promise<RemoteJWKSet> {
  const http = { fetch: config.fetch ?? globalThis.fetch, timeoutMs: config.timeoutMs };
  let pending: Promise<RemoteJWKSet> | undefined;
  return () =>
    (pending ??= discoverJwksUri(discoveryUri, issuer, http).then(
      (jwksUri) => openKeySet(jwksUri, config),
      (err: unknown) => {
        pending = undefined;
        throw err;
      },
    ));
}

function resolved<T>(value: T): () => Promise<T> {
  const promise = Promise.resolve(value);
  return () => promise;
}

/** The set was fetched and is well-formed, but the token names a key or algorithm it does not hold. */
function isTokenProblem(err: unknown): boolean {
  return (
    err instanceof errors.JWKSNoMatchingKey ||
    err instanceof errors.JWKSMultipleMatchingKeys ||
    err instanceof errors.JOSENotSupported
  );
}
