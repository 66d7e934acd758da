/**
 * Every environment variable the service reads, with its default and one line of documentation.
 * The README's configuration table is checked against this list by a test.
 */
import { z } from 'zod';
import { parseDuration } from '../signer/duration.js';

export interface OptionSpec<T> {
  readonly name: string;
  /** The default as it would be written in the environment; absent means "unset". */
  readonly default?: string;
  readonly doc: string;
  /** Values that must never be echoed (they are not, anyway: errors name the variable only). */
  readonly secret?: boolean;
  readonly schema: z.ZodType<T, string>;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const ORG_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

const text = z.string().min(1, 'must not be empty');
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
const duration = z.string().transform((raw, ctx) => {
  const seconds = parseDuration(raw);
  if (seconds === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be whole seconds or a duration such as "90s", "15m", "1h"' });
    return z.NEVER;
  }
  return seconds;
});

/** `host:port,host:port,…` (IPv6 hosts in brackets), as the Redis tools write node lists. */
const hostPortList = z.string().transform((raw, ctx) => {
  const nodes = raw.split(',').map((part) => parseHostPort(part.trim()));
  if (nodes.length === 0 || nodes.some((node) => node === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of host:port (e.g. "10.0.0.1:26379,10.0.0.2:26379")' });
    return z.NEVER;
  }
  return nodes as Array<{ host: string; port: number }>;
});

function parseHostPort(part: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]{1,253})):(\d{1,5})$/.exec(part);
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65535) return undefined;
  return { host: (match[1] ?? match[2]) as string, port };
}

const option = <T>(spec: OptionSpec<T>): OptionSpec<T> => spec;

/** The options, in the order the README documents them. */
export const options = {
  NODE_ENV: option({
    name: 'NODE_ENV',
    default: 'development',
    doc: '`development` (the default) and `test` allow the zero-config demo mode; any other value (`production`, `prod`, `staging`...) applies the production rules: a key and callers are required.',
    // Only an environment that says it is a development one gets the demo: a typo such as "prod" must not.
    schema: z.string().transform((v) => (v === 'development' || v === 'test' ? ('development' as const) : ('production' as const))),
  }),
  PORT: option({ name: 'PORT', default: '8080', doc: 'TCP port of the HTTP listener (0 picks a free port).', schema: wholeNumber(0, 65535) }),
  HOST: option({
    name: 'HOST',
    doc: 'Address to listen on; all interfaces when unset. The demo mode listens on 127.0.0.1 only.',
    schema: text,
  }),
  LOG_LEVEL: option({
    name: 'LOG_LEVEL',
    default: 'info',
    doc: `Log threshold: ${LOG_LEVELS.join(', ')}. Audit lines are logged at info.`,
    schema: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }),
  }),
  TRUST_PROXY: option({
    name: 'TRUST_PROXY',
    default: 'false',
    doc: 'Which proxies to trust for the client address (Express `trust proxy`): `true`, `false`, a hop count, or a comma-separated list of addresses/CIDRs (`loopback`, `uniquelocal`...).',
    schema: z.string().transform((raw): boolean | number | string[] => {
      if (raw === 'true' || raw === 'false') return raw === 'true';
      if (/^\d{1,3}$/.test(raw)) return Number(raw);
      return raw.split(',').map((part) => part.trim());
    }),
  }),
  TRUST_PROXY_ALLOW_ALL: option({
    name: 'TRUST_PROXY_ALLOW_ALL',
    default: 'false',
    doc: 'In production, `TRUST_PROXY=true` stops start-up unless this is `true`: it trusts the left-most `X-Forwarded-For`, which any client writes. Set it only when every request passes through proxies that overwrite that header.',
    schema: z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true'),
  }),
  PRIVATE_KEY: option({
    name: 'PRIVATE_KEY',
    secret: true,
    doc: 'The signing key: one PEM private key (PKCS#8, PKCS#1 RSA, SEC1 EC; on one line with literal `\\n` escapes too; a certificate after it is ignored), a private JWK as JSON, or any other string as an HS256 secret of at least 32 bytes. A path, a quoted value, a bare base64 key body and two keys (they go in `SIGNING_KEYS_FILE`) are refused.',
    schema: text,
  }),
  PRIVATE_KEY_FILE: option({
    name: 'PRIVATE_KEY_FILE',
    doc: 'Path of a file holding the `PRIVATE_KEY` material (Docker/Kubernetes secrets). Exclusive with `PRIVATE_KEY`.',
    schema: text,
  }),
  SIGNING_ALG: option({
    name: 'SIGNING_ALG',
    doc: 'JWS algorithm; inferred from the key when unset (RSA→RS256, P-256→ES256, P-384→ES384, P-521→ES512, Ed25519→EdDSA, secret→HS256). Must suit the key, e.g. PS256 for RSA.',
    schema: z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'HS256', 'HS384', 'HS512'], {
      error: 'must be a JWS algorithm such as RS256, PS256, ES256, EdDSA or HS256',
    }),
  }),
  KEY_ID: option({
    name: 'KEY_ID',
    doc: '`kid` of the signing key; defaults to its RFC 7638 thumbprint (HMAC keys have no `kid` unless set).',
    schema: z.string().regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 printable ASCII characters without spaces'),
  }),
  CALLERS: option({
    name: 'CALLERS',
    doc: 'JSON array of callers, each `{ "id", "keySha256", "orgs", "maxTtl"?, "rateLimitPerMinute"? }` (see Callers below). For `POST /oauth/token` an entry may add `"jwks"` (inline public JWK Set) or `"jwksUri"` for private_key_jwt, and `"authMethods"`; `keySha256` is then optional.',
    schema: text,
  }),
  CALLERS_FILE: option({ name: 'CALLERS_FILE', doc: 'Path of a JSON file holding the `CALLERS` array. Exclusive with `CALLERS`. Reloaded on SIGHUP and when the file changes.', schema: text }),
  TOKEN_TTL: option({ name: 'TOKEN_TTL', default: '1h', doc: 'Lifetime of a token when the request names none (seconds or `90s`/`15m`/`1h`).', schema: duration }),
  TOKEN_MAX_TTL: option({ name: 'TOKEN_MAX_TTL', default: '1h', doc: 'Longest lifetime any caller may ask for; a caller\'s `maxTtl` can only lower it.', schema: duration }),
  TOKEN_ISSUER: option({ name: 'TOKEN_ISSUER', doc: '`iss` claim of every token; for discovery and OAuth clients, the base URL the service is reached at (RFC 8414 §3.3), e.g. `https://tokenvend.internal`.', schema: text }),
  TOKEN_AUDIENCE: option({
    name: 'TOKEN_AUDIENCE',
    doc: '`aud` of every token; a comma-separated list lets a caller ask for one of them (`"audience"`, allowed by its `audiences`).',
    schema: z
      .string()
      .transform((raw) => raw.split(',').map((audience) => audience.trim()))
      .pipe(z.array(z.string().regex(/^[\x21-\x7e]{1,256}$/, 'must list audiences of printable ASCII without spaces, separated by commas'))),
  }),
  SIGNING_KEYS_FILE: option({
    name: 'SIGNING_KEYS_FILE',
    doc: 'Path of a JWK Set of private keys, each with a unique `kid`: the first signs, all are published. Reloaded on SIGHUP and when the file changes. Exclusive with `PRIVATE_KEY`/`PRIVATE_KEY_FILE`.',
    schema: text,
  }),
  ORG_KEYS_FILE: option({
    name: 'ORG_KEYS_FILE',
    doc: 'Path of a JSON object mapping orgId → that org\'s own key (a secret string → HS256, e.g. the org\'s Vapi private key; a PEM; or a private JWK). Tokens for a listed org are signed with its key, others with the service key. Reloaded on SIGHUP and when the file changes.',
    schema: text,
  }),
  PUBLIC_URL: option({
    name: 'PUBLIC_URL',
    doc: 'Base URL consumers reach this service at (behind a proxy); `jwks_uri` in discovery is built on it, else on `TOKEN_ISSUER`.',
    schema: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).transform((url) => url.replace(/\/+$/, '')),
  }),
  JWKS_MAX_AGE: option({
    name: 'JWKS_MAX_AGE',
    default: '300',
    doc: 'Seconds verifiers may cache the JWKS (`Cache-Control: public, max-age`). Rotation waits at least this long.',
    schema: wholeNumber(0, 86400),
  }),
  RATE_LIMIT_PER_MINUTE: option({
    name: 'RATE_LIMIT_PER_MINUTE',
    default: '600',
    doc: 'Token requests per caller per minute; a caller\'s `rateLimitPerMinute` overrides it.',
    schema: wholeNumber(1, 100_000_000),
  }),
  AUTH_FAILURE_LIMIT_PER_MINUTE: option({
    name: 'AUTH_FAILURE_LIMIT_PER_MINUTE',
    default: '20',
    doc: 'Wrong caller keys per client address per minute answered 401; past it, wrong keys get 429 until the window passes (a registered key is always served).',
    schema: wholeNumber(1, 100_000_000),
  }),
  REDIS_URL: option({
    name: 'REDIS_URL',
    doc: 'Redis for the shared state (rate-limit and failed-authentication counters), shared by every replica (`redis://` or `rediss://`); in memory when no Redis is set.',
    secret: true,
    schema: z.string().regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL'),
  }),
  REDIS_SENTINELS: option({
    name: 'REDIS_SENTINELS',
    doc: 'Redis Sentinel set holding the shared state instead: `host:port,host:port,…` of the sentinels (with `REDIS_SENTINEL_NAME`). Exclusive with `REDIS_URL` and `REDIS_CLUSTER_NODES`.',
    schema: hostPortList,
  }),
  REDIS_SENTINEL_NAME: option({
    name: 'REDIS_SENTINEL_NAME',
    doc: 'The master name the sentinels monitor (`sentinel monitor NAME …`); required with `REDIS_SENTINELS`.',
    schema: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be 1-128 characters from A-Z a-z 0-9 . _ -'),
  }),
  REDIS_CLUSTER_NODES: option({
    name: 'REDIS_CLUSTER_NODES',
    doc: 'Redis Cluster holding the shared state instead: `host:port,…` of some of its nodes (the rest are discovered). Exclusive with `REDIS_URL` and `REDIS_SENTINELS`.',
    schema: hostPortList,
  }),
  REDIS_USERNAME: option({
    name: 'REDIS_USERNAME',
    doc: 'ACL user for the Redis nodes of `REDIS_SENTINELS` or `REDIS_CLUSTER_NODES` (a `REDIS_URL` carries its own).',
    schema: z.string().regex(/^[\x21-\x7e]{1,256}$/, 'must be printable ASCII without spaces'),
  }),
  REDIS_PASSWORD: option({
    name: 'REDIS_PASSWORD',
    secret: true,
    doc: 'Password for the Redis nodes of `REDIS_SENTINELS` or `REDIS_CLUSTER_NODES` (a `REDIS_URL` carries its own).',
    schema: text,
  }),
  REDIS_SENTINEL_PASSWORD: option({
    name: 'REDIS_SENTINEL_PASSWORD',
    secret: true,
    doc: 'Password of the sentinels themselves, when they require one (`requirepass` in sentinel.conf).',
    schema: text,
  }),
  REDIS_TLS: option({
    name: 'REDIS_TLS',
    default: 'false',
    doc: '`true` speaks TLS to the sentinels and nodes of `REDIS_SENTINELS` or `REDIS_CLUSTER_NODES` (system CAs); `REDIS_URL` uses `rediss://` instead.',
    schema: z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true'),
  }),
  REDIS_TIMEOUT_MS: option({
    name: 'REDIS_TIMEOUT_MS',
    default: '1000',
    doc: 'Longest a token request waits on Redis in all (one bound per request); then it is served (fail-open) or refused with 503 (fail-closed). See "Running a fleet".',
    schema: wholeNumber(50, 30_000),
  }),
  RATE_LIMIT_FAIL_OPEN: option({
    name: 'RATE_LIMIT_FAIL_OPEN',
    default: 'true',
    doc: 'When the Redis store fails: `true` serves without limits (counted and logged), `false` answers 503.',
    schema: z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true'),
  }),
  METRICS_PORT: option({
    name: 'METRICS_PORT',
    doc: 'Serve `GET /metrics` on this port (same HOST) instead of the main port.',
    schema: wholeNumber(0, 65535),
  }),
  METRICS_ON_MAIN_PORT: option({
    name: 'METRICS_ON_MAIN_PORT',
    doc: '`true` serves `GET /metrics` (caller ids, key ids, rates) on the main port; in production it is served there only then, elsewhere unless `false`. Not with `METRICS_PORT`.',
    schema: z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true'),
  }),
  MAX_CONNECTIONS: option({
    name: 'MAX_CONNECTIONS',
    default: '1000',
    doc: 'Open connections at most, per listener (lowered to 64 below the open-file limit); at the cap, a new connection closes the one that has gone longest without starting a request, unless its request has arrived whole and is being answered.',
    schema: wholeNumber(1, 1_000_000),
  }),
  ORG_ID: option({
    name: 'ORG_ID',
    doc: 'orgId used when a request names none; without it `orgId` is required.',
    schema: z.string().regex(ORG_ID, 'must be 1-128 characters from A-Z a-z 0-9 . _ : @ -'),
  }),
} as const;

export type Options = typeof options;
export type OptionName = keyof Options;
export type OptionValue<K extends OptionName> = z.output<Options[K]['schema']>;

export { ORG_ID as ORG_ID_PATTERN };
