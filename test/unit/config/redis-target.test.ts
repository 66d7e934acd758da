import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfig, type Environment } from '../../../src/config/load-config.js';
import { callersJson, testCaller } from '../../support/callers.js';

const prod = { NODE_ENV: 'production', PRIVATE_KEY: 'x'.repeat(40), CALLERS: callersJson(testCaller('web')) };

function failure(env: Environment): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig: which Redis holds the shared state', () => {
  it('is memory when no Redis variable is set, with a one-second bound per request', () => {
    expect(loadConfig(prod).rateLimit).toMatchObject({ redis: undefined, redisUrl: undefined, storeTimeoutMs: 1000 });
  });

  it('reads REDIS_URL as a single server', () => {
    expect(loadConfig({ ...prod, REDIS_URL: 'redis://:pw@10.0.0.5:6379/2' }).rateLimit.redis).toEqual({ kind: 'single', url: 'redis://:pw@10.0.0.5:6379/2' });
  });

  it('reads a Sentinel set with its master name, credentials and TLS', () => {
    const config = loadConfig({
      ...prod,
      REDIS_SENTINELS: '10.0.0.1:26379, sentinel-2.redis.svc:26379,[fd00::3]:26380',
      REDIS_SENTINEL_NAME: 'tokenvend',
      REDIS_USERNAME: 'tokenvend',
      REDIS_PASSWORD: 'data-pw',
      REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
      REDIS_TLS: 'true',
      REDIS_TIMEOUT_MS: '250',
    });
    expect(config.rateLimit.redis).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: 'sentinel-2.redis.svc', port: 26379 },
        { host: 'fd00::3', port: 26380 },
      ],
      masterName: 'tokenvend',
      username: 'tokenvend',
      password: 'data-pw',
      sentinelPassword: 'sentinel-pw',
      tls: true,
    });
    expect(config.rateLimit.storeTimeoutMs).toBe(250);
  });

  it('reads a Cluster', () => {
    expect(loadConfig({ ...prod, REDIS_CLUSTER_NODES: 'redis-0:6379,redis-1:6379' }).rateLimit.redis).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'redis-0', port: 6379 },
        { host: 'redis-1', port: 6379 },
      ],
      username: undefined,
      password: undefined,
      tls: false,
    });
  });

  it.each<[string, Environment, string]>([
    ['REDIS_URL with REDIS_SENTINELS', { REDIS_URL: 'redis://r:6379', REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINELS: and REDIS_URL are exclusive; set one'],
    ['REDIS_URL with REDIS_CLUSTER_NODES', { REDIS_URL: 'redis://r:6379', REDIS_CLUSTER_NODES: 'c:6379' }, 'REDIS_CLUSTER_NODES: and REDIS_URL are exclusive; set one'],
    ['REDIS_SENTINELS with REDIS_CLUSTER_NODES', { REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'm', REDIS_CLUSTER_NODES: 'c:6379' }, 'REDIS_CLUSTER_NODES: and REDIS_SENTINELS are exclusive; set one'],
    ['REDIS_SENTINELS without a name', { REDIS_SENTINELS: 's:26379' }, 'REDIS_SENTINEL_NAME: is required with REDIS_SENTINELS'],
    ['a name without sentinels', { REDIS_URL: 'redis://r:6379', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINEL_NAME: goes with REDIS_SENTINELS only'],
    ['a sentinel password without sentinels', { REDIS_CLUSTER_NODES: 'c:6379', REDIS_SENTINEL_PASSWORD: 'pw' }, 'REDIS_SENTINEL_PASSWORD: goes with REDIS_SENTINELS only'],
    ['a password beside REDIS_URL', { REDIS_URL: 'redis://r:6379', REDIS_PASSWORD: 'pw' }, 'REDIS_PASSWORD: goes with REDIS_SENTINELS or REDIS_CLUSTER_NODES; put the credentials in REDIS_URL'],
    ['a password with no Redis', { REDIS_PASSWORD: 'pw' }, 'REDIS_PASSWORD: is set but no Redis is (REDIS_SENTINELS or REDIS_CLUSTER_NODES)'],
    ['REDIS_TLS beside REDIS_URL', { REDIS_URL: 'redis://r:6379', REDIS_TLS: 'true' }, 'REDIS_TLS: goes with REDIS_SENTINELS or REDIS_CLUSTER_NODES; write rediss:// in REDIS_URL'],
    ['a sentinel without a port', { REDIS_SENTINELS: '10.0.0.1', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINELS: must be a comma-separated list of host:port (e.g. "10.0.0.1:26379,10.0.0.2:26379")'],
    ['an empty entry in the list', { REDIS_CLUSTER_NODES: 'a:6379,,b:6379' }, 'REDIS_CLUSTER_NODES: must be a comma-separated list of host:port (e.g. "10.0.0.1:26379,10.0.0.2:26379")'],
    ['port 0', { REDIS_CLUSTER_NODES: 'a:0' }, 'REDIS_CLUSTER_NODES: must be a comma-separated list of host:port (e.g. "10.0.0.1:26379,10.0.0.2:26379")'],
    ['a port over 65535', { REDIS_CLUSTER_NODES: 'a:70000' }, 'REDIS_CLUSTER_NODES: must be a comma-separated list of host:port (e.g. "10.0.0.1:26379,10.0.0.2:26379")'],
    ['a URL in a node list', { REDIS_CLUSTER_NODES: 'redis://a:6379' }, 'REDIS_CLUSTER_NODES: must be a comma-separated list of host:port (e.g. "10.0.0.1:26379,10.0.0.2:26379")'],
    ['a master name with spaces', { REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'my master' }, 'REDIS_SENTINEL_NAME: must be 1-128 characters from A-Z a-z 0-9 . _ -'],
    ['a REDIS_TLS that is not a boolean', { REDIS_CLUSTER_NODES: 'a:6379', REDIS_TLS: 'yes' }, 'REDIS_TLS: must be true or false'],
    ['a REDIS_TIMEOUT_MS under 50', { REDIS_TIMEOUT_MS: '10' }, 'REDIS_TIMEOUT_MS: must be at least 50'],
  ])('refuses %s, naming the variable', (_name, env, message) => {
    expect(failure({ ...prod, ...env })).toBe(message);
  });

  it('never echoes a password or a node list in an error', () => {
    const secret = 'S3cr3t-redis-password';
    expect(failure({ ...prod, REDIS_URL: 'redis://r:6379', REDIS_PASSWORD: secret })).not.toContain(secret);
    expect(failure({ ...prod, REDIS_SENTINELS: `${secret}@host`, REDIS_SENTINEL_NAME: 'm' })).not.toContain(secret);
  });
});
