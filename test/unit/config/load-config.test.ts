import { join } from 'node:path';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfig, type Environment } from '../../../src/config/load-config.js';
import { callersJson, testCaller } from '../../support/callers.js';

const caller = testCaller('web');
const SECRET = 'x'.repeat(40);
const prod = { NODE_ENV: 'production', PRIVATE_KEY: SECRET, CALLERS: callersJson(caller) };

function failure(env: Environment, readFile?: (path: string) => string): ConfigError {
  try {
    loadConfig(env, readFile);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const config = loadConfig(prod);
    expect(config).toMatchObject({
      mode: 'production',
      demo: false,
      port: 8080,
      host: undefined,
      logLevel: 'info',
      trustProxy: false,
      jwksMaxAge: 300,
      key: { variable: 'PRIVATE_KEY', material: SECRET },
      signingKeys: undefined,
      publicUrl: undefined,
      tokens: { defaultTtl: 3600, maxTtl: 3600, minTtl: 60, issuer: undefined, audiences: [], defaultOrgId: undefined },
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('is in demo mode outside production with no key and no callers, on loopback', () => {
    expect(loadConfig({})).toMatchObject({ demo: true, mode: 'development', host: '127.0.0.1', key: undefined, callers: undefined });
    expect(loadConfig({ HOST: '::1' }).host).toBe('::1');
  });

  it.each(['prod', 'staging', 'Production', 'live'])('applies the production rules for NODE_ENV=%s: no demo mode', (value) => {
    expect(failure({ NODE_ENV: value }).message).toMatch(/^PRIVATE_KEY: is required in production /);
    expect(loadConfig({ ...prod, NODE_ENV: value })).toMatchObject({ mode: 'production', demo: false });
  });

  it.each(['development', 'test'])('allows the demo mode for NODE_ENV=%s', (value) => {
    expect(loadConfig({ NODE_ENV: value })).toMatchObject({ mode: 'development', demo: true });
  });

  it('reads the key and callers from files', () => {
    const files: Record<string, string> = { '/run/secrets/key': SECRET, '/run/secrets/callers': callersJson(caller) };
    const config = loadConfig({ NODE_ENV: 'production', PRIVATE_KEY_FILE: '/run/secrets/key', CALLERS_FILE: '/run/secrets/callers' }, (path) => {
      const content = files[path];
      if (content === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return content;
    });
    expect(config.key).toEqual({ variable: 'PRIVATE_KEY_FILE', material: SECRET });
    expect(config.callers?.map((c) => c.id)).toEqual(['web']);
  });

  it.each([
    ['TRUST_PROXY', '2', 2],
    ['TRUST_PROXY', 'loopback, 10.0.0.0/8', ['loopback', '10.0.0.0/8']],
    ['TOKEN_TTL', '15m', 900],
    ['TOKEN_TTL', '600', 600],
    ['PORT', '0', 0],
  ])('parses %s=%s', (name, value, expected) => {
    const config = loadConfig({ ...prod, [name]: value }) as unknown as Record<string, unknown> & { tokens: Record<string, unknown> };
    const key = { TRUST_PROXY: 'trustProxy', PORT: 'port' }[name];
    expect(key ? config[key] : config.tokens.defaultTtl).toEqual(expected);
  });

  it('accepts TRUST_PROXY=true outside production, or in production with TRUST_PROXY_ALLOW_ALL=true', () => {
    expect(loadConfig({ PRIVATE_KEY: SECRET, CALLERS: callersJson(caller), TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ ...prod, TRUST_PROXY: 'true', TRUST_PROXY_ALLOW_ALL: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ ...prod, TRUST_PROXY: '1', TRUST_PROXY_ALLOW_ALL: 'false' }).trustProxy).toBe(1);
  });

  it.each<[string, Environment, string]>([
    ['production without a key', { NODE_ENV: 'production', CALLERS: callersJson(caller) }, 'PRIVATE_KEY: is required in production (or PRIVATE_KEY_FILE, or SIGNING_KEYS_FILE, or ORG_KEYS_FILE for per-org keys)'],
    ['production without callers', { NODE_ENV: 'production', PRIVATE_KEY: SECRET }, 'CALLERS: is required in production (or CALLERS_FILE)'],
    ['a key without callers outside production', { PRIVATE_KEY: SECRET }, 'CALLERS: is required once a key is set (or CALLERS_FILE)'],
    ['callers without a key outside production', { CALLERS: callersJson(caller) }, 'PRIVATE_KEY: is required once CALLERS is set (or PRIVATE_KEY_FILE, or SIGNING_KEYS_FILE, or ORG_KEYS_FILE for per-org keys)'],
    ['both PRIVATE_KEY and PRIVATE_KEY_FILE', { ...prod, PRIVATE_KEY_FILE: '/x' }, 'PRIVATE_KEY: and PRIVATE_KEY_FILE are exclusive; set one'],
    ['both CALLERS and CALLERS_FILE', { ...prod, CALLERS_FILE: '/x' }, 'CALLERS: and CALLERS_FILE are exclusive; set one'],
    ['a non-numeric PORT', { ...prod, PORT: 'http' }, 'PORT: must be a whole number'],
    ['a PORT out of range', { ...prod, PORT: '70000' }, 'PORT: must be at most 65535'],
    ['an unknown LOG_LEVEL', { ...prod, LOG_LEVEL: 'verbose' }, 'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent'],
    ['a bad TRUST_PROXY', { ...prod, TRUST_PROXY: 'not-an-ip' }, 'TRUST_PROXY: must be true, false, a hop count or a comma-separated list of addresses/CIDRs'],
    [
      'TRUST_PROXY=true in production without the override',
      { ...prod, TRUST_PROXY: 'true' },
      'TRUST_PROXY: true trusts any client\'s X-Forwarded-For; set a hop count or the proxies\' addresses (or TRUST_PROXY_ALLOW_ALL=true if proxies overwrite that header)',
    ],
    ['a bad TRUST_PROXY_ALLOW_ALL', { ...prod, TRUST_PROXY: 'true', TRUST_PROXY_ALLOW_ALL: 'yes' }, 'TRUST_PROXY_ALLOW_ALL: must be true or false'],
    ['a bad TOKEN_TTL', { ...prod, TOKEN_TTL: '1 hour' }, 'TOKEN_TTL: must be whole seconds or a duration such as "90s", "15m", "1h"'],
    ['a TOKEN_TTL under 60 s', { ...prod, TOKEN_TTL: '30s' }, 'TOKEN_TTL: must be at least 60 seconds'],
    ['a TOKEN_TTL over the max', { ...prod, TOKEN_TTL: '2h' }, 'TOKEN_TTL: must not exceed TOKEN_MAX_TTL'],
    ['a TOKEN_MAX_TTL under 60 s', { ...prod, TOKEN_MAX_TTL: '10', TOKEN_TTL: '10' }, 'TOKEN_MAX_TTL: must be at least 60 seconds'],
    ['a bad ORG_ID', { ...prod, ORG_ID: 'org a' }, 'ORG_ID: must be 1-128 characters from A-Z a-z 0-9 . _ : @ -'],
    ['an unknown SIGNING_ALG', { ...prod, SIGNING_ALG: 'none' }, 'SIGNING_ALG: must be a JWS algorithm such as RS256, PS256, ES256, EdDSA or HS256'],
    ['a KEY_ID with spaces', { ...prod, KEY_ID: 'a b' }, 'KEY_ID: must be 1-128 printable ASCII characters without spaces'],
    ['a bad JWKS_MAX_AGE', { ...prod, JWKS_MAX_AGE: '-1' }, 'JWKS_MAX_AGE: must be a whole number'],
    ['a public HOST in demo mode', { HOST: '0.0.0.0' }, 'HOST: must be a loopback address in demo mode (configure a key and callers to listen elsewhere)'],
    ['CALLERS that are not JSON', { ...prod, CALLERS: '[{' }, 'CALLERS: is not valid JSON (line 1, column 3)'],
    ['CALLERS broken on a later line', { ...prod, CALLERS: '[\n  {"id": "web",\n   "orgs": ["a" "b"]}\n]' }, 'CALLERS: is not valid JSON (line 3, column 17)'],
  ])('refuses %s, naming the variable', (_name, env, message) => {
    expect(failure(env).message).toBe(message);
  });

  it('names the _FILE variable when a file cannot be read or is empty', () => {
    const missing = failure({ NODE_ENV: 'production', PRIVATE_KEY_FILE: '/nope', CALLERS: callersJson(caller) }, () => {
      throw Object.assign(new Error('ENOENT: /nope'), { code: 'ENOENT' });
    });
    expect(missing.message).toBe('PRIVATE_KEY_FILE: cannot read the file /nope (ENOENT)');
    const relative = failure({ NODE_ENV: 'production', PRIVATE_KEY_FILE: 'secrets/key.pem', CALLERS: callersJson(caller) }, () => {
      throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    });
    // A relative path depends on the working directory: the message shows which file was looked for.
    expect(relative.message).toBe(`PRIVATE_KEY_FILE: cannot read the file ${join(process.cwd(), 'secrets/key.pem')} (ENOENT)`);
    expect(failure({ NODE_ENV: 'production', PRIVATE_KEY: SECRET, CALLERS_FILE: '/empty' }, () => '\n').message).toBe('CALLERS_FILE: names an empty file');
  });

  it('never echoes a secret in an error', () => {
    const secretish = 'S3cr3t-value-that-must-not-leak';
    for (const env of [{ ...prod, PORT: secretish }, { ...prod, CALLERS: secretish }, { ...prod, TOKEN_TTL: secretish }, { ...prod, LOG_LEVEL: secretish }]) {
      expect(failure(env).message).not.toContain(secretish);
    }
  });
});

describe('loadConfig: connections and /metrics', () => {
  it('caps connections at MAX_CONNECTIONS (1000 by default)', () => {
    expect(loadConfig(prod).maxConnections).toBe(1000);
    expect(loadConfig({ ...prod, MAX_CONNECTIONS: '50' }).maxConnections).toBe(50);
    expect(failure({ ...prod, MAX_CONNECTIONS: '0' }).message).toBe('MAX_CONNECTIONS: must be at least 1');
  });

  it('keeps /metrics off the main port in production unless METRICS_ON_MAIN_PORT=true; elsewhere serves it unless false', () => {
    expect(loadConfig(prod).metricsOnMainPort).toBe(false);
    expect(loadConfig({ ...prod, METRICS_ON_MAIN_PORT: 'true' }).metricsOnMainPort).toBe(true);
    expect(loadConfig({ ...prod, METRICS_PORT: '9464' }).metricsOnMainPort).toBe(false);
    expect(loadConfig({ ...prod, NODE_ENV: 'development' }).metricsOnMainPort).toBe(true);
    expect(loadConfig({ ...prod, NODE_ENV: 'development', METRICS_ON_MAIN_PORT: 'false' }).metricsOnMainPort).toBe(false);
    expect(failure({ ...prod, METRICS_ON_MAIN_PORT: 'yes' }).message).toBe('METRICS_ON_MAIN_PORT: must be true or false');
    expect(failure({ ...prod, METRICS_ON_MAIN_PORT: 'true', METRICS_PORT: '9464' }).message).toBe('METRICS_ON_MAIN_PORT: and METRICS_PORT are exclusive; /metrics is served on one port');
  });
});

describe('loadConfig: key sets, audiences, public URL', () => {
  const files = (content: Record<string, string>) => (path: string) => {
    const found = content[path];
    if (found === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    return found;
  };

  it('reads SIGNING_KEYS_FILE instead of a single key', () => {
    const config = loadConfig({ NODE_ENV: 'production', SIGNING_KEYS_FILE: '/keys.json', CALLERS: callersJson(caller) }, files({ '/keys.json': '{"keys":[]}' }));
    expect(config.signingKeys).toEqual({ path: '/keys.json', content: '{"keys":[]}' });
    expect(config.key).toBeUndefined();
  });

  it.each<[string, Environment, string]>([
    ['SIGNING_KEYS_FILE with PRIVATE_KEY', { ...prod, SIGNING_KEYS_FILE: '/keys.json' }, 'SIGNING_KEYS_FILE: and PRIVATE_KEY are exclusive; set one'],
    ['SIGNING_KEYS_FILE with SIGNING_ALG', { NODE_ENV: 'production', CALLERS: callersJson(caller), SIGNING_KEYS_FILE: '/keys.json', SIGNING_ALG: 'ES256' }, 'SIGNING_ALG: applies to PRIVATE_KEY only; give each key in SIGNING_KEYS_FILE its "alg"'],
    ['SIGNING_KEYS_FILE with KEY_ID', { NODE_ENV: 'production', CALLERS: callersJson(caller), SIGNING_KEYS_FILE: '/keys.json', KEY_ID: 'k' }, 'KEY_ID: applies to PRIVATE_KEY only; the keys in SIGNING_KEYS_FILE carry their own "kid"'],
    ['an unreadable SIGNING_KEYS_FILE', { NODE_ENV: 'production', CALLERS: callersJson(caller), SIGNING_KEYS_FILE: '/missing.json' }, 'SIGNING_KEYS_FILE: cannot read the file /missing.json (ENOENT)'],
    ['a PUBLIC_URL that is not http(s)', { ...prod, PUBLIC_URL: 'ftp://x' }, 'PUBLIC_URL: must be an http(s) URL'],
    ['an audience with spaces', { ...prod, TOKEN_AUDIENCE: 'orders api' }, 'TOKEN_AUDIENCE: must list audiences of printable ASCII without spaces, separated by commas'],
    [
      'a caller audience not in TOKEN_AUDIENCE',
      { ...prod, TOKEN_AUDIENCE: 'orders-api', CALLERS: callersJson(testCaller('web', { audiences: ['billing-api'] })) },
      'CALLERS: entry 0 ("web"): audiences must be among TOKEN_AUDIENCE',
    ],
  ])('refuses %s', (_name, env, message) => {
    expect(failure(env, files({ '/keys.json': '{"keys":[]}' })).message).toBe(message);
  });

  it('splits TOKEN_AUDIENCE and trims PUBLIC_URL', () => {
    const config = loadConfig({ ...prod, TOKEN_AUDIENCE: 'orders-api, billing-api', PUBLIC_URL: 'https://tokens.example/' });
    expect(config.tokens.audiences).toEqual(['orders-api', 'billing-api']);
    expect(config.publicUrl).toBe('https://tokens.example');
  });
});

describe('loadConfig for signing only (the CLI mint)', () => {
  it('needs a key but no callers, and never falls back to demo mode', () => {
    expect(loadConfig({ PRIVATE_KEY: SECRET }, undefined, { purpose: 'signing' })).toMatchObject({ demo: false, callers: undefined, key: { variable: 'PRIVATE_KEY' } });
    expect(() => loadConfig({}, undefined, { purpose: 'signing' })).toThrow(new ConfigError('PRIVATE_KEY', 'is required (or PRIVATE_KEY_FILE, or SIGNING_KEYS_FILE)'));
  });
});
