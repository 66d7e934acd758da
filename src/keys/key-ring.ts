/** The keys in hand: the one that signs, the ones published, and the JWKS view built once per change. */
import { createHash } from 'node:crypto';
import type { SigningKey } from './signing-key.js';

/** The JWKS response, serialised once (RFC 7517 §5) with a strong ETag of its bytes. */
export interface JwksDocument {
  readonly body: string;
  readonly etag: string;
  /** The algorithms of the published keys (what discovery advertises). */
  readonly algorithms: readonly string[];
}

export interface KeyRing {
  /** The key that signs new tokens; `undefined` while none is usable. */
  readonly active: SigningKey | undefined;
  /** Every key in the ring, the active one first. */
  readonly keys: readonly SigningKey[];
  readonly jwks: JwksDocument;
  /** Swaps in a new set at once; the first key signs. In-flight signatures finish with the key they started with. */
  replace(keys: readonly SigningKey[]): void;
}

/**
 * Creates a key ring; every key is published, the first one signs.
 *
 * @example
 * const ring = createKeyRing([signingKey]);
 * ring.active?.kid;
 */
export function createKeyRing(initial: readonly SigningKey[]): KeyRing {
  let state = snapshot(initial);
  return {
    get active() {
      return state.keys[0];
    },
    get keys() {
      return state.keys;
    },
    get jwks() {
      return state.jwks;
    },
    replace(keys) {
      state = snapshot(keys);
    },
  };
}

function snapshot(keys: readonly SigningKey[]) {
  const frozen = Object.freeze([...keys]);
  const published = frozen.flatMap((key) => (key.publicJwk ? [key.publicJwk] : []));
  const body = JSON.stringify({ keys: published });
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
  const algorithms = Object.freeze([...new Set(published.map((jwk) => jwk.alg))]);
  return { keys: frozen, jwks: Object.freeze({ body, etag, algorithms }) };
}
