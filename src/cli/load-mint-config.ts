/** The service's own loadConfig, fed only the variables that signing a token needs. */
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
 * Validates the signing variables exactly as the service does at start-up, so every rule and every
 * message (`TOKEN_TTL: must not exceed TOKEN_MAX_TTL`, `PRIVATE_KEY_FILE: cannot read the file /run/secrets/key.pem (ENOENT)`)
 * is the service's. Throws a ConfigError naming the variable, never its value.
 *
 * @example
 * const config = loadMintConfig(process.env);
 * const keyRing = createKeyRing(await loadSigningKeys(config));
 */
export function loadMintConfig(env: Environment, readFile?: ReadFile): Config {
  const picked = Object.fromEntries(MINT_VARIABLES.flatMap((name) => (env[name] === undefined ? [] : [[name, env[name]]])));
  return loadConfig(picked, readFile, { purpose: 'signing' });
}
