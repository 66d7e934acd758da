/** What is benchmarked: the two reference servers and the tokenvend scenarios, one table row each. */
import { createHash, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCallerKey } from '../src/auth/generate-caller-key.js';

export type KeyType = 'hs256' | 'p256' | 'ed25519' | 'rsa2048';

/** A server to start and load. */
export interface TargetSpec {
  readonly name: string;
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
  /** Poll GET /healthz while this target is under load. */
  readonly probeHealth: boolean;
  /** Stdout read through a pipe by a process of its own (as a container runtime reads it), instead of written to a file. */
  readonly stdoutPipe?: boolean;
  /** The POST /tokens body; the common one (run.ts) unless given. */
  readonly body?: string;
  /** How many processes of this target run side by side, the load split evenly between them; 1 unless given. */
  readonly replicas?: number;
  /** Which door is loaded: POST /tokens unless given, else POST /oauth/token with that client authentication. */
  readonly door?: BenchDoor;
}

export type BenchDoor = 'tokens' | 'client_secret_basic' | 'private_key_jwt';

interface TokenvendScenario {
  readonly name: string;
  readonly key: KeyType;
  /** Added to (and overriding) the common tokenvend environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly probeHealth?: boolean;
  readonly stdoutPipe?: boolean;
  /** The server to start, relative to this file once compiled; the real service unless given. */
  readonly script?: string;
  /** Fields added to the bench caller's CALLERS entry (tags, restrictions). */
  readonly caller?: Readonly<Record<string, unknown>>;
  readonly body?: string;
  readonly replicas?: number;
  readonly door?: BenchDoor;
}

/** A Redis of the operator's for the Redis rows; unset, the bench starts its own redis-server on a free loopback port. */
export const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL;
/** Replaced by the URL of the Redis the bench uses (run.ts). */
const REDIS_URL_PLACEHOLDER = '$REDIS_URL';

/** The rows the derived figures compare (report.ts); one place, so a renamed row cannot silently drop a figure. */
export const ROWS = {
  baseline: 'baseline',
  baselineShaped: 'baseline, objects shaped',
  seed: 'seed (jsonwebtoken ES256)',
  es256: 'tokenvend ES256',
  es256Redis: 'tokenvend ES256 + Redis',
  es256RedisPair: 'tokenvend ES256 + Redis, 2 processes',
  es256Bare: 'tokenvend ES256 bare',
  hs256: 'tokenvend HS256',
  hs256OrgKeys: 'tokenvend HS256, 1,000 org keys',
  hs256Public: 'tokenvend HS256, public restricted token',
  oauthBasic: 'tokenvend ES256, POST /oauth/token client_secret_basic',
  oauthPrivateKeyJwt: 'tokenvend ES256, POST /oauth/token private_key_jwt (ES256)',
} as const;

/** The name of a row's twin served by the --before checkout. */
export const BEFORE_SUFFIX = ', before';
/** The row a --before twin stands beside (its own name for every other row). */
export const twinOf = (name: string): string => (name.endsWith(BEFORE_SUFFIX) ? name.slice(0, -BEFORE_SUFFIX.length) : name);

/** The org whose own key signs in the org-keys row: one of 1,000 in ORG_KEYS_FILE. */
const ORG_KEY_COUNT = 1000;
const BENCH_ORIGINS = ['https://app.example.com', 'https://admin.example.com', 'https://staging.example.com'];
const BENCH_ASSISTANTS = ['7b1c0a55-1d2e-4a3b-9c8d-0e1f2a3b4c5d', 'c0ffee00-1d2e-4a3b-9c8d-0e1f2a3b4c5d'];

/** Each scenario is one line; the three ES256 rows give the cost of the limiter and metrics. */
/** The issuer of the private_key_jwt row: its assertions name it as their audience. */
export const BENCH_ISSUER = 'https://tokenvend.bench';

const TOKENVEND_SCENARIOS: readonly TokenvendScenario[] = [
  { name: ROWS.hs256, key: 'hs256' },
  // Issue 12: the per-org key lookup and Vapi's token claim must not cost the hot path.
  { name: ROWS.hs256OrgKeys, key: 'hs256', env: { ORG_KEYS_FILE: orgKeysFile() }, body: JSON.stringify({ orgId: `org_${ORG_KEY_COUNT / 2}`, expiresIn: '15m' }) },
  {
    name: ROWS.hs256Public,
    key: 'hs256',
    caller: { tags: ['public'], restrictions: { allowedOrigins: BENCH_ORIGINS, allowedAssistantIds: BENCH_ASSISTANTS, allowTransientAssistant: false } },
    body: JSON.stringify({ orgId: 'org_bench', expiresIn: '5m', restrictions: { allowedOrigins: [BENCH_ORIGINS[0]] } }),
  },
  { name: ROWS.es256, key: 'p256' },
  // Issue 15: the OAuth door beside POST /tokens; the same key, caller, limiter and audit.
  { name: ROWS.oauthBasic, key: 'p256', door: 'client_secret_basic' },
  // private_key_jwt checks the assertion's aud against a configured base, never the request's Host.
  { name: ROWS.oauthPrivateKeyJwt, key: 'p256', door: 'private_key_jwt', env: { TOKEN_ISSUER: BENCH_ISSUER } },
  // Fail closed, so an unreachable Redis shows as 503s (a failed bench) instead of as free limiting.
  { name: ROWS.es256Redis, key: 'p256', env: { REDIS_URL: REDIS_URL_PLACEHOLDER, RATE_LIMIT_FAIL_OPEN: 'false' } },
  // Two replicas sharing one Redis, as a fleet runs: the load is split between them.
  { name: ROWS.es256RedisPair, key: 'p256', env: { REDIS_URL: REDIS_URL_PLACEHOLDER, RATE_LIMIT_FAIL_OPEN: 'false' }, replicas: 2 },
  // No limiter, no metrics; everything else as in the real service.
  { name: ROWS.es256Bare, key: 'p256', script: './tokenvend-bare-server.js' },
  // What operators get under a container runtime: every log write goes down a pipe and wakes its reader.
  { name: 'tokenvend ES256, stdout on a pipe', key: 'p256', stdoutPipe: true },
  { name: 'tokenvend EdDSA', key: 'ed25519' },
  { name: 'tokenvend RS256', key: 'rsa2048', probeHealth: true },
];

const script = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

/** ORG_KEYS_FILE with 1,000 orgs, each with its own 48-character HMAC secret; removed when the bench exits. */
function orgKeysFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tokenvend-bench-org-keys-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'org-keys.json');
  const document = Object.fromEntries(Array.from({ length: ORG_KEY_COUNT }, (_, index) => [`org_${index}`, randomBytes(36).toString('base64url')]));
  writeFileSync(file, JSON.stringify(document), { mode: 0o600 });
  return file;
}

/** The caller key every target accepts; baseline and seed ignore it. */
export const CALLER_KEY = generateCallerKey();

/** True when a target needs the bench's Redis. */
export const needsRedis = (spec: TargetSpec): boolean => spec.env.REDIS_URL === REDIS_URL_PLACEHOLDER;

/** The spec with the Redis URL the bench uses filled in. */
export const withRedisUrl = (spec: TargetSpec, url: string): TargetSpec => (needsRedis(spec) ? { ...spec, env: { ...spec.env, REDIS_URL: url } } : spec);

/**
 * Generates fresh keys and returns every target, baseline first.
 *
 * @example
 * const specs = buildTargetSpecs(); // [baseline, seed, tokenvend HS256, ...]
 */
export function buildTargetSpecs(before?: string): TargetSpec[] {
  const keys = new Map<KeyType, string>();
  const keyOf = (type: KeyType): string => {
    if (!keys.has(type)) keys.set(type, generateKey(type));
    return keys.get(type) as string;
  };
  const common = { NODE_ENV: 'production', ...passThrough('UV_THREADPOOL_SIZE') };
  const tokenvendEnv = {
    ...common,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    // Unknown until the rate-limit work lands, harmless before: the limiter must never refuse during a bench.
    RATE_LIMIT_PER_MINUTE: '100000000',
    AUTH_FAILURE_LIMIT_PER_MINUTE: '1000000',
  };
  const service = (scenario: TokenvendScenario, root?: string): TargetSpec => ({
    name: root === undefined ? scenario.name : `${scenario.name}${BEFORE_SUFFIX}`,
    script: root === undefined ? script(scenario.script ?? '../../dist/server/main.js') : join(root, 'dist', 'server', 'main.js'),
    env: { ...tokenvendEnv, PRIVATE_KEY: keyOf(scenario.key), CALLERS: callers(scenario.caller, scenario.door === 'private_key_jwt'), ...scenario.env },
    ...(scenario.body !== undefined && { body: scenario.body }),
    ...(scenario.door !== undefined && { door: scenario.door }),
    probeHealth: scenario.probeHealth ?? false,
    stdoutPipe: scenario.stdoutPipe ?? false,
    replicas: scenario.replicas ?? 1,
  });
  return [
    { name: ROWS.baseline, script: script('./baseline-server.js'), env: common, probeHealth: false },
    // The same server built the way tokenvend builds its own: what is left of the ratio is tokenvend's own work.
    { name: ROWS.baselineShaped, script: script('./baseline-server.js'), env: { ...common, BASELINE_SHAPED: '1' }, probeHealth: false },
    { name: ROWS.seed, script: script('./seed-server.js'), env: { ...common, PRIVATE_KEY: keyOf('p256') }, probeHealth: false },
    ...TOKENVEND_SCENARIOS.map((scenario) => service(scenario)),
    // Another built checkout (--before DIR): a twin of each row of the service itself, in the same interleaved rounds, so a change's cost is measured in one run.
    ...(before === undefined ? [] : TOKENVEND_SCENARIOS.filter((scenario) => scenario.script === undefined).map((scenario) => service(scenario, before))),
  ];
}

/** The key the bench caller signs its private_key_jwt assertions with (ES256); its public half is in the caller's `jwks`. */
export const CLIENT_ASSERTION_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

/**
 * The one bench caller, with the scenario's extra fields; its client-assertion key only where the row
 * uses it, so that the POST /tokens rows also run on a --before checkout older than the OAuth door.
 */
function callers(fields: Readonly<Record<string, unknown>> = {}, withJwks = false): string {
  const jwks = { keys: [{ ...createPublicKey(CLIENT_ASSERTION_KEY).export({ format: 'jwk' }), kid: 'bench-1' }] };
  return JSON.stringify([{ id: 'bench', keySha256: createHash('sha256').update(CALLER_KEY).digest('hex'), orgs: ['*'], ...(withJwks && { jwks }), ...fields }]);
}

function generateKey(type: KeyType): string {
  const pem = { format: 'pem', type: 'pkcs8' } as const;
  switch (type) {
    case 'hs256':
      return randomBytes(36).toString('base64url'); // 48 characters
    case 'p256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export(pem) as string;
    case 'ed25519':
      return generateKeyPairSync('ed25519').privateKey.export(pem) as string;
    case 'rsa2048':
      return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export(pem) as string;
  }
}

function passThrough(name: string): Record<string, string> {
  const value = process.env[name];
  return value === undefined ? {} : { [name]: value };
}
