/** The service's own loadConfig, fed only the variables that signing a token needs. */
import { ConfigError } from '../config/config-error.js';
import type { Config } from '../config/config.js';
import { loadConfig, type Environment, type ReadFile } from '../config/load-config.js';

/** What mint reads; anything else in the environment (ports, Redis, callers) is never looked at. */
export const MINT_VARIABLES = [
  'PRIVATE_KEY',
  'PRIVATE_KEY_FILE',
  'SIGNING_KEYS_FILE',
  'SIGNING_ALG',
  'KEY_ID',
  'TOKEN_ISSUER',
  'TOKEN_AUDIENCE',
  'TOKEN_TTL',
  'TOKEN_MAX_TTL',
  'ORG_ID',
] as const;

/**
 * loadConfig requires callers beside a key; mint has none, so it is given one placeholder that
 * nothing authenticates as (no key hashes to all zeros in practice) and that is never used.
 */
const PLACEHOLDER_CALLERS = JSON.stringify([{ id: 'tokenvend-cli', keySha256: '0'.repeat(64), orgs: ['*'] }]);

/**
 * Validates the signing variables exactly as the service does at start-up, so every rule and every
 * message (`TOKEN_TTL: must not exceed TOKEN_MAX_TTL`, `PRIVATE_KEY_FILE: cannot read the file (ENOENT)`)
 * is the service's. Throws a ConfigError naming the variable, never its value.
 *
 * @example
 * const config = loadMintConfig(process.env);
 * const keyRing = createKeyRing(await loadSigningKeys(config));
 */
export function loadMintConfig(env: Environment, readFile?: ReadFile): Config {
  // Without a key the service falls back to demo mode; a token signed by a throwaway key is useless.
  if (!env.PRIVATE_KEY && !env.PRIVATE_KEY_FILE && !env.SIGNING_KEYS_FILE) {
    throw new ConfigError('PRIVATE_KEY', 'is required (or PRIVATE_KEY_FILE, or SIGNING_KEYS_FILE)');
  }
  const picked = Object.fromEntries(MINT_VARIABLES.flatMap((name) => (env[name] === undefined ? [] : [[name, env[name]]])));
  return loadConfig({ ...picked, NODE_ENV: 'development', CALLERS: PLACEHOLDER_CALLERS }, readFile);
}
