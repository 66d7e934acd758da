/** Builds the start-up key ring from the Config, naming the variable when a key is unusable. */
import { generateKeyPairSync } from 'node:crypto';
import { ConfigError } from '../config/config-error.js';
import type { Config } from '../config/config.js';
import { createSigningKey } from './create-signing-key.js';
import { KeyMaterialError } from './key-material-error.js';
import { KeySetError, parseKeySet } from './key-set.js';
import { assertDistinctKids } from './key-ring.js';
import { OrgKeysError, parseOrgKeys } from './org-keys.js';
import { parseKeyMaterial } from './parse-key-material.js';
import type { SigningKey } from './signing-key.js';
import type { SigningThread } from './signing-thread.js';

// Two keys in PRIVATE_KEY are refused (find-pem-block.ts); the key set is how two keys live side by side.
const READ_FROM_FILE = 'to read the key from a file, set PRIVATE_KEY_FILE to that path instead';
const SEVERAL_KEYS = 'several keys, each with its own kid, go in SIGNING_KEYS_FILE: see "Key rotation" in the README';

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
    // Demo mode (loadSigningKeys asks for a key only then, or when PRIVATE_KEY is set).
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return createSigningKey({ kind: 'asymmetric', key: privateKey, hints: {} }, { signingThread });
  }
  const { variable, material } = config.key;
  try {
    return await createSigningKey(parseKeyMaterial(material, { several: SEVERAL_KEYS, path: READ_FROM_FILE, der: 'or use PRIVATE_KEY_FILE' }), { alg: config.signingAlg, kid: config.keyId, signingThread });
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
export async function loadSigningKeys(config: Pick<Config, 'key' | 'signingAlg' | 'keyId' | 'signingKeys'> & { readonly demo?: boolean; readonly orgKeys?: Config['orgKeys'] }, options: LoadKeyOptions = {}): Promise<SigningKey[]> {
  // With ORG_KEYS_FILE alone there is no service key: only the listed orgs get tokens.
  if (config.signingKeys === undefined && config.key === undefined && config.orgKeys !== undefined && config.demo !== true) return [];
  if (config.signingKeys === undefined) return [await loadSigningKey(config, options)];
  try {
    return await parseKeySet(config.signingKeys.content, options);
  } catch (error) {
    if (error instanceof KeySetError) throw new ConfigError('SIGNING_KEYS_FILE', error.message);
    throw error;
  }
}

/**
 * Loads ORG_KEYS_FILE's keys (none without it), refusing a kid that a different service key uses.
 *
 * @example
 * const keyRing = createKeyRing(serviceKeys, await loadOrgKeys(config, serviceKeys, { signingThread }));
 */
export async function loadOrgKeys(config: Pick<Config, 'orgKeys'>, serviceKeys: readonly SigningKey[], options: LoadKeyOptions = {}): Promise<Map<string, SigningKey>> {
  if (config.orgKeys === undefined) return new Map();
  try {
    const orgKeys = await parseOrgKeys(config.orgKeys.content, options);
    assertDistinctKids(serviceKeys, orgKeys, (problem) => new OrgKeysError(problem));
    return orgKeys;
  } catch (error) {
    if (error instanceof OrgKeysError) throw new ConfigError('ORG_KEYS_FILE', error.message);
    throw error;
  }
}
