/** Builds the start-up key ring from the Config, naming the variable when a key is unusable. */
import { generateKeyPairSync } from 'node:crypto';
import { ConfigError } from '../config/config-error.js';
import type { Config } from '../config/config.js';
import { createSigningKey } from './create-signing-key.js';
import { KeyMaterialError } from './key-material-error.js';
import { KeySetError, parseKeySet } from './key-set.js';
import { parseKeyMaterial } from './parse-key-material.js';
import type { SigningKey } from './signing-key.js';
import type { SigningThread } from './signing-thread.js';

export interface LoadKeyOptions {
  /** Where EC and EdDSA keys make their signatures (create-signing-key.ts). */
  readonly signingThread?: SigningThread | undefined;
}

/**
 * Loads the configured key, or in demo mode generates an ephemeral ES256 key.
 *
 * @example
 * const key = await loadSigningKey(config);
 */
export async function loadSigningKey(config: Pick<Config, 'key' | 'signingAlg' | 'keyId'>, { signingThread }: LoadKeyOptions = {}): Promise<SigningKey> {
  if (config.key === undefined) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return createSigningKey({ kind: 'asymmetric', key: privateKey, hints: {} }, { signingThread });
  }
  const { variable, material } = config.key;
  try {
    return await createSigningKey(parseKeyMaterial(material), { alg: config.signingAlg, kid: config.keyId, signingThread });
  } catch (error) {
    if (!(error instanceof KeyMaterialError)) throw error;
    // A JWK's own `alg`/`kid` members are part of the key material: blame the key's variable for those.
    const blamed = error.field === 'alg' && config.signingAlg !== undefined ? 'SIGNING_ALG' : error.field === 'kid' && config.keyId !== undefined ? 'KEY_ID' : variable;
    throw new ConfigError(blamed, error.problem);
  }
}

/**
 * Loads every key the service starts with: the key set of SIGNING_KEYS_FILE, or the single key.
 *
 * @example
 * const keyRing = createKeyRing(await loadSigningKeys(config, { signingThread: createSigningThread() }));
 */
export async function loadSigningKeys(config: Pick<Config, 'key' | 'signingAlg' | 'keyId' | 'signingKeys'>, options: LoadKeyOptions = {}): Promise<SigningKey[]> {
  if (config.signingKeys === undefined) return [await loadSigningKey(config, options)];
  try {
    return await parseKeySet(config.signingKeys.content, options);
  } catch (error) {
    if (error instanceof KeySetError) throw new ConfigError('SIGNING_KEYS_FILE', error.message);
    throw error;
  }
}
