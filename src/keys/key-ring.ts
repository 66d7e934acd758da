/**
 * The keys in hand: the service keys (the first signs, all are published), the per-org keys of
 * ORG_KEYS_FILE, and the JWKS view of both, built once per change.
 */
import { createHash } from 'node:crypto';
import type { PublicJwk, SigningKey } from './signing-key.js';

/** The JWKS response, serialised once (RFC 7517 §5) with a strong ETag of its bytes. */
export interface JwksDocument {
  readonly body: string;
  readonly etag: string;
  /** The algorithms of the published keys (what discovery advertises). */
  readonly algorithms: readonly string[];
  /** How many keys the JWKS holds (HMAC keys are never in it). */
  readonly size: number;
}

export interface KeyRing {
  /** The service key that signs tokens for orgs without a key of their own; `undefined` while none is usable. */
  readonly active: SigningKey | undefined;
  /** Every service key, the active one first. */
  readonly keys: readonly SigningKey[];
  /** The per-org keys (ORG_KEYS_FILE), by orgId. */
  readonly orgKeys: ReadonlyMap<string, SigningKey>;
  /** True while ORG_KEYS_FILE holds at least one key. */
  readonly hasOrgKeys: boolean;
  readonly jwks: JwksDocument;
  /** The key that signs tokens for this org: its own, else the service's active key. One map lookup. */
  keyFor(orgId: string): SigningKey | undefined;
  /** Swaps in a new service key set at once; the first key signs. In-flight signatures finish with the key they started with. */
  replace(keys: readonly SigningKey[]): void;
  /** Swaps in a new set of per-org keys at once. */
  replaceOrgKeys(orgKeys: ReadonlyMap<string, SigningKey>): void;
}

/**
 * Creates a key ring; every asymmetric key is published, the first service key signs.
 *
 * @example
 * const ring = createKeyRing([signingKey], new Map([['org_a', orgAKey]]));
 * ring.keyFor('org_a') === orgAKey; // true
 */
export function createKeyRing(initial: readonly SigningKey[], initialOrgKeys: ReadonlyMap<string, SigningKey> = new Map()): KeyRing {
  let keys = Object.freeze([...initial]);
  let orgKeys: ReadonlyMap<string, SigningKey> = new Map(initialOrgKeys);
  let jwks = publish(keys, orgKeys);
  return {
    get active() {
      return keys[0];
    },
    get keys() {
      return keys;
    },
    get orgKeys() {
      return orgKeys;
    },
    get hasOrgKeys() {
      return orgKeys.size > 0;
    },
    get jwks() {
      return jwks;
    },
    keyFor(orgId) {
      return orgKeys.get(orgId) ?? keys[0];
    },
    replace(next) {
      keys = Object.freeze([...next]);
      jwks = publish(keys, orgKeys);
    },
    replaceOrgKeys(next) {
      orgKeys = new Map(next);
      jwks = publish(keys, orgKeys);
    },
  };
}

/**
 * The public keys of both sets, each `kid` once. A key that signs for some orgs only (ORG_KEYS_FILE,
 * not a service key) is published with `orgIds`, the orgs it may sign for: whoever else holds that
 * org's private key could otherwise mint tokens for every org that verifiers accept (tokenvend/verify
 * refuses a token whose orgId its key may not sign for).
 */
function publish(keys: readonly SigningKey[], orgKeys: ReadonlyMap<string, SigningKey>): JwksDocument {
  const byKid = new Map<string, PublicJwk & { orgIds?: readonly string[] }>();
  for (const key of keys) {
    if (key.publicJwk && !byKid.has(key.publicJwk.kid)) byKid.set(key.publicJwk.kid, key.publicJwk);
  }
  const orgsOf = new Map<string, string[]>();
  for (const [orgId, key] of orgKeys) {
    if (!key.publicJwk || byKid.has(key.publicJwk.kid)) continue;
    orgsOf.set(key.publicJwk.kid, [...(orgsOf.get(key.publicJwk.kid) ?? []), orgId]);
  }
  for (const key of orgKeys.values()) {
    const orgIds = key.publicJwk && orgsOf.get(key.publicJwk.kid);
    if (key.publicJwk && orgIds && !byKid.has(key.publicJwk.kid)) byKid.set(key.publicJwk.kid, { ...key.publicJwk, orgIds });
  }
  const published = [...byKid.values()];
  const body = JSON.stringify({ keys: published });
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
  const algorithms = Object.freeze([...new Set(published.map((jwk) => jwk.alg))]);
  return Object.freeze({ body, etag, algorithms, size: published.length });
}

/**
 * Refuses a service key and an org key that share a `kid` but not a key: the JWKS can publish only
 * one of them, and tokens of the other would never verify. (Thumbprint kids of one key are equal; fine.)
 *
 * @example
 * assertDistinctKids(serviceKeys, orgKeys, (problem) => new KeySetError(problem));
 */
export function assertDistinctKids(keys: readonly SigningKey[], orgKeys: ReadonlyMap<string, SigningKey>, fail: (problem: string) => Error): void {
  const byKid = new Map<string, string>();
  const fingerprint = (key: SigningKey): string => JSON.stringify(key.publicJwk ? { ...key.publicJwk, kid: undefined } : null);
  for (const key of keys) if (key.kid !== undefined && key.publicJwk) byKid.set(key.kid, fingerprint(key));
  for (const [orgId, key] of orgKeys) {
    if (key.kid === undefined || !key.publicJwk) continue;
    const other = byKid.get(key.kid);
    if (other !== undefined && other !== fingerprint(key)) throw fail(`the key of org "${orgId}" and a service key share the kid "${key.kid}" but are different keys`);
  }
}
