/** The validated, frozen configuration the rest of the service is built from. */
import type { Caller } from '../auth/caller.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Key material and the variable it came from, so that key errors can name it. */
export interface KeySource {
  readonly variable: 'PRIVATE_KEY' | 'PRIVATE_KEY_FILE';
  readonly material: string;
}

export interface Config {
  readonly mode: 'production' | 'development';
  /** True when neither a key nor callers were configured outside production. */
  readonly demo: boolean;
  readonly port: number;
  readonly host: string | undefined;
  readonly logLevel: LogLevel;
  readonly trustProxy: boolean | number | readonly string[];
  /** Absent only in demo mode, where an ephemeral key is generated. */
  readonly key: KeySource | undefined;
  /** SIGNING_KEYS_FILE: its path (watched for changes) and the content read at start. Exclusive with `key`. */
  readonly signingKeys: { readonly path: string; readonly content: string } | undefined;
  readonly signingAlg: string | undefined;
  readonly keyId: string | undefined;
  /** ORG_KEYS_FILE: its path (watched for changes) and the content read at start. */
  readonly orgKeys: { readonly path: string; readonly content: string } | undefined;
  /** Absent only in demo mode, where one random caller is generated. */
  readonly callers: readonly Caller[] | undefined;
  /** CALLERS_FILE's path and the content read at start, when the callers come from a file (reloaded on change). */
  readonly callersFile: { readonly path: string; readonly content: string } | undefined;
  readonly rateLimit: {
    readonly perCallerPerMinute: number;
    readonly authFailuresPerMinute: number;
    /** REDIS_URL only; `redis` says which Redis, whichever variable chose it. */
    readonly redisUrl: string | undefined;
    /** Where the shared state lives: REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES; in memory when undefined. */
    readonly redis: RedisTarget | undefined;
    /** REDIS_TIMEOUT_MS: the longest a request waits on the store, in all. */
    readonly storeTimeoutMs: number;
    readonly failOpen: boolean;
  };
  /** MAX_CONNECTIONS: open connections at most, per listener, before the file limit lowers it. */
  readonly maxConnections: number;
  /** When set, /metrics is served on its own listener and not on the main port. */
  readonly metricsPort: number | undefined;
  /** Whether the main port serves /metrics: METRICS_ON_MAIN_PORT, by default outside production only; never with metricsPort. */
  readonly metricsOnMainPort: boolean;
  /** Base URL of this service as its consumers reach it (PUBLIC_URL), for jwks_uri in discovery. */
  readonly publicUrl: string | undefined;
  /** Seconds the JWKS may be cached (Cache-Control max-age). */
  readonly jwksMaxAge: number;
  readonly tokens: {
    /** Seconds. */
    readonly defaultTtl: number;
    /** Seconds. */
    readonly maxTtl: number;
    readonly minTtl: number;
    readonly issuer: string | undefined;
    /** TOKEN_AUDIENCE, split on commas; empty when unset. */
    readonly audiences: readonly string[];
    readonly defaultOrgId: string | undefined;
  };
}

export interface RedisNodeAddress {
  readonly host: string;
  readonly port: number;
}

/** Credentials and TLS for the sentinel and cluster nodes (a URL carries its own). */
export interface RedisAuth {
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly tls: boolean;
}

/** Which Redis holds the shared state; exactly one of the three variables chooses it. */
export type RedisTarget =
  | { readonly kind: 'single'; readonly url: string }
  | (RedisAuth & { readonly kind: 'sentinel'; readonly sentinels: readonly RedisNodeAddress[]; readonly masterName: string; readonly sentinelPassword: string | undefined })
  | (RedisAuth & { readonly kind: 'cluster'; readonly nodes: readonly RedisNodeAddress[] });

/** Shortest lifetime a token may have: below it, clock skew between services eats the token. */
export const MIN_TOKEN_TTL_SECONDS = 60;
