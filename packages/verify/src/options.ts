/** Verifier options in, a complete and validated VerifierConfig out: every check runs once, at construction. */
import { ASYMMETRIC_ALGORITHMS, DEFAULTS, TOKEN_TYPES, type TokenType, type VerifierAlgorithm } from './defaults.js';
import { VerifierConfigError } from './errors.js';
import { readLocalKeys, type LocalKeys } from './local-keys.js';
import type { JSONWebKeySet } from 'jose';

/** A fetch implementation; the global `fetch` fits. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** What a consumer tells {@link createVerifier}. Defaults live in `defaults.ts`. */
export interface VerifierOptions {
  /** The issuer's JWKS, e.g. `https://tokens.example.com/.well-known/jwks.json`. Discovered from `issuer` when omitted. */
  jwksUri?: string | URL;
  /**
   * Verify against local keys instead of fetching: PEM text holding one key (a public key, a
   * certificate or its chain, or a private key whose public part is used; the block may sit anywhere
   * in the text, which may be on one line with `\n` escapes), JSON text, a JWK or a JWK Set.
   * Asymmetric keys only: HMAC is never inferred, `oct` keys are refused. Excludes `jwksUri`.
   */
  keys?: LocalKeys;
  /** Expected `iss`, compared exactly; without `jwksUri`, also where OpenID discovery starts. */
  issuer?: string;
  /** Expected `aud`: the token must name at least one of these. */
  audience?: string | readonly string[];
  /** Accepted `alg` values; asymmetric only. */
  algorithms?: readonly VerifierAlgorithm[];
  /**
   * The `typ` header a token must carry: `'JWT'` (tokens from `POST /tokens`) or `'at+jwt'` (RFC 9068
   * access tokens from the OAuth endpoint). Default: either. Compared as RFC 7515 §4.1.9 says (case-insensitive,
   * an `application/` prefix ignored).
   */
  typ?: TokenType;
  /** Clock skew tolerated on `exp` and `nbf`, in seconds. */
  clockToleranceSeconds?: number;
  /** Minimum ms between JWKS refetches caused by an unknown `kid`. */
  jwksCooldownMs?: number;
  /** Ms a fetched JWKS is used before it is refetched. */
  jwksCacheMaxAgeMs?: number;
  /** Ms allowed for each discovery or JWKS request. */
  timeoutMs?: number;
  /** Replaces the global `fetch` for discovery and JWKS requests. */
  fetch?: FetchLike;
}

/** The complete, validated configuration a verifier runs on. */
export interface VerifierConfig {
  /** Where the keys come from: a known JWKS URL, or else the issuer's OpenID configuration. */
  readonly keySource: { readonly jwksUri: URL } | { readonly discoveryUri: URL; readonly issuer: string } | { readonly keys: JSONWebKeySet };
  readonly issuer: string | undefined;
  readonly audience: string | string[] | undefined;
  readonly algorithms: VerifierAlgorithm[];
  /** Accepted `typ` values, normalized: lowercase, without `application/`. */
  readonly typ: readonly string[];
  readonly clockToleranceSeconds: number;
  readonly jwksCooldownMs: number;
  readonly jwksCacheMaxAgeMs: number;
  readonly timeoutMs: number;
  readonly fetch: FetchLike | undefined;
}

/**
 * Validates options and fills in defaults; throws {@link VerifierConfigError} naming the option at fault.
 *
 * @example
 * const config = parseVerifierOptions({ issuer: 'https://tokens.example.com' });
 * config.keySource; // { discoveryUri: URL('https://tokens.example.com/.well-known/openid-configuration'), issuer: '...' }
 */
export function parseVerifierOptions(options: VerifierOptions): VerifierConfig {
  const { issuer } = options;
  if (issuer !== undefined && (typeof issuer !== 'string' || issuer === '')) {
    throw new VerifierConfigError('issuer', 'must be a non-empty string');
  }
  return Object.freeze({
    keySource: locateKeys(options, issuer),
    issuer,
    audience: parseAudience(options.audience),
    algorithms: parseAlgorithms(options.algorithms),
    typ: parseTyp(options.typ),
    clockToleranceSeconds: nonNegative('clockToleranceSeconds', options.clockToleranceSeconds, DEFAULTS.clockToleranceSeconds),
    jwksCooldownMs: nonNegative('jwksCooldownMs', options.jwksCooldownMs, DEFAULTS.jwksCooldownMs),
    jwksCacheMaxAgeMs: nonNegative('jwksCacheMaxAgeMs', options.jwksCacheMaxAgeMs, DEFAULTS.jwksCacheMaxAgeMs),
    timeoutMs: positiveInteger('timeoutMs', options.timeoutMs, DEFAULTS.timeoutMs),
    fetch: parseFetch(options.fetch),
  });
}

function locateKeys({ jwksUri, keys }: VerifierOptions, issuer: string | undefined): VerifierConfig['keySource'] {
  if (keys !== undefined) {
    if (jwksUri !== undefined) throw new VerifierConfigError('keys', 'cannot be combined with "jwksUri"; give one key source');
    return { keys: readLocalKeys(keys) };
  }
  if (jwksUri !== undefined) return { jwksUri: httpUrl('jwksUri', jwksUri) };
  if (issuer !== undefined) return { discoveryUri: discoveryUrl(issuer), issuer };
  throw new VerifierConfigError('jwksUri', 'or "issuer" or "keys" is required to locate the signing keys');
}

function httpUrl(option: string, value: string | URL): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new VerifierConfigError(option, 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new VerifierConfigError(option, 'must be an absolute http(s) URL');
  }
  return url;
}

/** OpenID Connect Discovery 1.0 §4: drop a trailing "/" from the issuer, then append the well-known path. */
function discoveryUrl(issuer: string): URL {
  const url = httpUrl('issuer', issuer);
  if (url.search !== '' || url.hash !== '') {
    throw new VerifierConfigError('issuer', 'must not contain a query or fragment (OpenID Connect Discovery §2)');
  }
  return new URL(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
}

function parseAudience(audience: VerifierOptions['audience']): string | string[] | undefined {
  if (audience === undefined) return undefined;
  const list = typeof audience === 'string' ? [audience] : audience;
  if (!Array.isArray(list) || list.length === 0 || !list.every((aud) => typeof aud === 'string' && aud !== '')) {
    throw new VerifierConfigError('audience', 'must be a non-empty string or a non-empty array of them');
  }
  return typeof audience === 'string' ? audience : [...list];
}

function parseAlgorithms(algorithms: VerifierOptions['algorithms']): VerifierAlgorithm[] {
  if (algorithms === undefined) return [...DEFAULTS.algorithms];
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    throw new VerifierConfigError('algorithms', 'must be a non-empty array');
  }
  for (const alg of algorithms as readonly unknown[]) {
    if (typeof alg === 'string' && /^hs\d+$/i.test(alg)) {
      throw new VerifierConfigError('algorithms', `must not contain "${alg}": HMAC secrets are never published, and accepting HMAC invites algorithm confusion (RFC 8725 §2.1)`);
    }
    if (typeof alg === 'string' && alg.toLowerCase() === 'none') {
      throw new VerifierConfigError('algorithms', 'must not contain "none": unsigned tokens are never accepted');
    }
    if (!(ASYMMETRIC_ALGORITHMS as readonly unknown[]).includes(alg)) {
      throw new VerifierConfigError('algorithms', `contains unsupported ${JSON.stringify(alg)}; use any of ${ASYMMETRIC_ALGORITHMS.join(', ')}`);
    }
  }
  return [...algorithms];
}

function parseTyp(typ: VerifierOptions['typ']): readonly string[] {
  if (typ === undefined) return DEFAULTS.typ.map(normalizeTyp);
  if (!(TOKEN_TYPES as readonly unknown[]).includes(typ)) {
    throw new VerifierConfigError('typ', `must be one of ${TOKEN_TYPES.map((value) => `"${value}"`).join(', ')}`);
  }
  return [normalizeTyp(typ)];
}

/**
 * RFC 7515 §4.1.9: media type names are case-insensitive, and `application/` may be left out.
 *
 * @example
 * normalizeTyp('application/AT+JWT'); // 'at+jwt'
 */
export function normalizeTyp(typ: string): string {
  return typ.toLowerCase().replace(/^application\//, '');
}

function nonNegative(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new VerifierConfigError(option, 'must be a finite, non-negative number');
  }
  return value;
}

function positiveInteger(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new VerifierConfigError(option, 'must be a positive integer');
  }
  return value;
}

function parseFetch(fetch: FetchLike | undefined): FetchLike | undefined {
  if (fetch !== undefined && typeof fetch !== 'function') {
    throw new VerifierConfigError('fetch', 'must be a function');
  }
  return fetch;
}
