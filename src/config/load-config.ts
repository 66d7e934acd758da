/** Reads the environment (and the files it points at) once, and returns a validated, frozen Config. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import express from 'express';
import { parseCallers } from '../auth/caller.js';
import { ConfigError } from './config-error.js';
import { MIN_TOKEN_TTL_SECONDS, type Config, type KeySource, type RedisNodeAddress, type RedisTarget } from './config.js';
import { options, type OptionName, type OptionValue } from './options.js';

export type Environment = Readonly<Record<string, string | undefined>>;
export type ReadFile = (path: string) => string;

const readUtf8: ReadFile = (path) => readFileSync(path, 'utf8');

export interface LoadOptions {
  /**
   * `service` (the default) needs a key and callers, or neither (demo mode); `signing` (the CLI's
   * mint) needs a key only, and has no demo mode: a token signed by a throwaway key is useless.
   */
  readonly purpose?: 'service' | 'signing';
}

/**
 * Builds the Config; every problem throws a ConfigError naming the variable, never its value.
 *
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Environment, readFile: ReadFile = readUtf8, { purpose = 'service' }: LoadOptions = {}): Config {
  const read = <K extends OptionName>(name: K): OptionValue<K> | undefined => {
    const spec = options[name];
    const raw = env[name] === '' ? undefined : (env[name] ?? ('default' in spec ? spec.default : undefined));
    if (raw === undefined) return undefined;
    const parsed = spec.schema.safeParse(raw);
    if (!parsed.success) throw new ConfigError(name, parsed.error.issues[0]?.message ?? 'is invalid');
    return parsed.data as OptionValue<K>;
  };
  const mode = read('NODE_ENV') ?? 'development';

  const key = exclusiveSource(env, 'PRIVATE_KEY', 'PRIVATE_KEY_FILE', readFile);
  const signingKeys = readPathAndContent(env, 'SIGNING_KEYS_FILE', readFile);
  const orgKeys = purpose === 'service' ? readPathAndContent(env, 'ORG_KEYS_FILE', readFile) : undefined;
  if (signingKeys && key) throw new ConfigError('SIGNING_KEYS_FILE', `and ${key.variable} are exclusive; set one`);
  if (signingKeys && env.SIGNING_ALG) throw new ConfigError('SIGNING_ALG', 'applies to PRIVATE_KEY only; give each key in SIGNING_KEYS_FILE its "alg"');
  if (signingKeys && env.KEY_ID) throw new ConfigError('KEY_ID', 'applies to PRIVATE_KEY only; the keys in SIGNING_KEYS_FILE carry their own "kid"');
  const callersSource = exclusiveSource(env, 'CALLERS', 'CALLERS_FILE', readFile);
  const demo = purpose === 'service' && mode !== 'production' && key === undefined && signingKeys === undefined && orgKeys === undefined && callersSource === undefined;
  if (!demo) {
    if (key === undefined && signingKeys === undefined && orgKeys === undefined) {
      const when = purpose === 'signing' ? 'is required' : mode === 'production' ? 'is required in production' : 'is required once CALLERS is set';
      throw new ConfigError('PRIVATE_KEY', `${when} (or PRIVATE_KEY_FILE, or SIGNING_KEYS_FILE${purpose === 'service' ? ', or ORG_KEYS_FILE for per-org keys' : ''})`);
    }
    if (purpose === 'service' && callersSource === undefined) {
      throw new ConfigError('CALLERS', mode === 'production' ? 'is required in production (or CALLERS_FILE)' : 'is required once a key is set (or CALLERS_FILE)');
    }
  }
  const audiences = read('TOKEN_AUDIENCE') ?? [];
  const callers = callersSource && parseCallers(callersSource.material, callersSource.variable, { audiences });

  const defaultTtl = read('TOKEN_TTL') as number;
  const maxTtl = read('TOKEN_MAX_TTL') as number;
  if (maxTtl < MIN_TOKEN_TTL_SECONDS) throw new ConfigError('TOKEN_MAX_TTL', `must be at least ${MIN_TOKEN_TTL_SECONDS} seconds`);
  if (defaultTtl < MIN_TOKEN_TTL_SECONDS) throw new ConfigError('TOKEN_TTL', `must be at least ${MIN_TOKEN_TTL_SECONDS} seconds`);
  if (defaultTtl > maxTtl) throw new ConfigError('TOKEN_TTL', 'must not exceed TOKEN_MAX_TTL');

  const host = read('HOST');
  if (demo && host !== undefined && !isLoopback(host)) {
    throw new ConfigError('HOST', 'must be a loopback address in demo mode (configure a key and callers to listen elsewhere)');
  }
  const trustProxy = read('TRUST_PROXY') as boolean | number | string[];
  try {
    // Express compiles the setting at once and throws on an address it cannot parse.
    express().set('trust proxy', trustProxy);
  } catch {
    throw new ConfigError('TRUST_PROXY', 'must be true, false, a hop count or a comma-separated list of addresses/CIDRs');
  }
  // `true` makes the client address whatever the client writes first in X-Forwarded-For: the
  // per-address failure limit could then be dodged by rotating it, or aimed at someone else's address.
  if (trustProxy === true && mode === 'production' && read('TRUST_PROXY_ALLOW_ALL') !== true) {
    throw new ConfigError('TRUST_PROXY', 'true trusts any client\'s X-Forwarded-For; set a hop count or the proxies\' addresses (or TRUST_PROXY_ALLOW_ALL=true if proxies overwrite that header)');
  }

  const metricsPort = read('METRICS_PORT');
  const metricsOnMainPort = read('METRICS_ON_MAIN_PORT');
  if (metricsOnMainPort === true && metricsPort !== undefined) throw new ConfigError('METRICS_ON_MAIN_PORT', 'and METRICS_PORT are exclusive; /metrics is served on one port');

  return Object.freeze({
    mode,
    demo,
    port: read('PORT') as number,
    host: demo ? (host ?? '127.0.0.1') : host,
    logLevel: read('LOG_LEVEL') ?? 'info',
    trustProxy,
    key,
    signingKeys,
    orgKeys,
    signingAlg: read('SIGNING_ALG'),
    keyId: read('KEY_ID'),
    callers,
    callersFile: callersSource?.variable === 'CALLERS_FILE' ? { path: env.CALLERS_FILE as string, content: callersSource.material } : undefined,
    rateLimit: Object.freeze({
      perCallerPerMinute: read('RATE_LIMIT_PER_MINUTE') as number,
      authFailuresPerMinute: read('AUTH_FAILURE_LIMIT_PER_MINUTE') as number,
      redisUrl: read('REDIS_URL'),
      redis: readRedisTarget(read),
      storeTimeoutMs: read('REDIS_TIMEOUT_MS') as number,
      failOpen: read('RATE_LIMIT_FAIL_OPEN') as boolean,
    }),
    maxConnections: read('MAX_CONNECTIONS') as number,
    metricsPort,
    // In production /metrics (caller ids, key ids, rates) stays off the token port, which may face every client, unless asked for.
    metricsOnMainPort: metricsPort === undefined && (metricsOnMainPort ?? mode !== 'production'),
    publicUrl: read('PUBLIC_URL'),
    jwksMaxAge: read('JWKS_MAX_AGE') as number,
    tokens: Object.freeze({
      defaultTtl,
      maxTtl,
      minTtl: MIN_TOKEN_TTL_SECONDS,
      issuer: read('TOKEN_ISSUER'),
      audiences: Object.freeze(audiences),
      defaultOrgId: read('ORG_ID'),
    }),
  });
}

/** Reads `X` or `X_FILE` (never both); a file that cannot be read names the `_FILE` variable. */
function exclusiveSource<V extends string, F extends string>(
  env: Environment,
  variable: V,
  fileVariable: F,
  readFile: ReadFile,
): { variable: V | F; material: string } | undefined {
  const inline = env[variable] || undefined;
  const path = env[fileVariable] || undefined;
  if (inline !== undefined && path !== undefined) throw new ConfigError(variable, `and ${fileVariable} are exclusive; set one`);
  if (inline !== undefined) return { variable, material: inline };
  if (path === undefined) return undefined;
  let material: string;
  try {
    material = readFile(path);
  } catch (error) {
    throw new ConfigError(fileVariable, cannotRead(path, error));
  }
  if (material.trim() === '') throw new ConfigError(fileVariable, 'names an empty file');
  return { variable: fileVariable, material };
}

/** A file the service watches and reloads: its path, and its content now. */
function readPathAndContent(env: Environment, variable: 'SIGNING_KEYS_FILE' | 'ORG_KEYS_FILE', readFile: ReadFile): { path: string; content: string } | undefined {
  const path = env[variable] || undefined;
  if (path === undefined) return undefined;
  try {
    return { path, content: readFile(path) };
  } catch (error) {
    throw new ConfigError(variable, cannotRead(path, error));
  }
}

type Read = <K extends OptionName>(name: K) => OptionValue<K> | undefined;

/** REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES (at most one), with the variables that only go with some of them. */
function readRedisTarget(read: Read): RedisTarget | undefined {
  const chosen = (['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const).filter((name) => read(name) !== undefined);
  if (chosen.length > 1) throw new ConfigError(chosen[1] as string, `and ${chosen[0] as string} are exclusive; set one`);
  const [variable] = chosen;
  const name = read('REDIS_SENTINEL_NAME');
  if (variable === 'REDIS_SENTINELS' && name === undefined) throw new ConfigError('REDIS_SENTINEL_NAME', 'is required with REDIS_SENTINELS');
  if (variable !== 'REDIS_SENTINELS' && name !== undefined) throw new ConfigError('REDIS_SENTINEL_NAME', 'goes with REDIS_SENTINELS only');
  if (variable !== 'REDIS_SENTINELS' && read('REDIS_SENTINEL_PASSWORD') !== undefined) throw new ConfigError('REDIS_SENTINEL_PASSWORD', 'goes with REDIS_SENTINELS only');
  for (const extra of ['REDIS_USERNAME', 'REDIS_PASSWORD'] as const) {
    if ((variable === undefined || variable === 'REDIS_URL') && read(extra) !== undefined) {
      throw new ConfigError(extra, variable === 'REDIS_URL' ? 'goes with REDIS_SENTINELS or REDIS_CLUSTER_NODES; put the credentials in REDIS_URL' : 'is set but no Redis is (REDIS_SENTINELS or REDIS_CLUSTER_NODES)');
    }
  }
  if ((variable === undefined || variable === 'REDIS_URL') && read('REDIS_TLS') === true) {
    throw new ConfigError('REDIS_TLS', variable === 'REDIS_URL' ? 'goes with REDIS_SENTINELS or REDIS_CLUSTER_NODES; write rediss:// in REDIS_URL' : 'is set but no Redis is');
  }
  const auth = { username: read('REDIS_USERNAME'), password: read('REDIS_PASSWORD'), tls: read('REDIS_TLS') ?? false };
  switch (variable) {
    case undefined:
      return undefined;
    case 'REDIS_URL':
      return { kind: 'single', url: read('REDIS_URL') as string };
    case 'REDIS_SENTINELS':
      return { kind: 'sentinel', sentinels: read('REDIS_SENTINELS') as RedisNodeAddress[], masterName: name as string, sentinelPassword: read('REDIS_SENTINEL_PASSWORD'), ...auth };
    case 'REDIS_CLUSTER_NODES':
      return { kind: 'cluster', nodes: read('REDIS_CLUSTER_NODES') as RedisNodeAddress[], ...auth };
  }
}

/** The resolved path shows which file was looked for (a relative path depends on the working directory); the errno says why. */
function cannotRead(path: string, error: unknown): string {
  return `cannot read the file ${resolve(path)} (${(error as NodeJS.ErrnoException).code ?? 'read error'})`;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export type { KeySource };
