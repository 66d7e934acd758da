/**
 * A signing key set (SIGNING_KEYS_FILE): a JWK Set of private keys (RFC 7517 §5). The first key
 * signs; every key is published, so a next key is verifiable before it signs and an old one after.
 */
import { jsonErrorLocation } from '../config/json-error-location.js';
import { createSigningKey } from './create-signing-key.js';
import { KeyMaterialError } from './key-material-error.js';
import { parseJwk } from './parse-key-material.js';
import type { SigningKey } from './signing-key.js';
import type { SigningThread } from './signing-thread.js';

/** A problem in one place of the file; the message names the place, never the material. */
export class KeySetError extends Error {
  constructor(problem: string) {
    super(problem);
    this.name = 'KeySetError';
  }
}

/**
 * Parses and validates a whole key set: one bad key rejects the file.
 *
 * @example
 * const keys = await parseKeySet(readFileSync('keys.json', 'utf8'));
 * keys[0]; // the key that signs
 */
export async function parseKeySet(json: string, { signingThread }: { signingThread?: SigningThread | undefined } = {}): Promise<SigningKey[]> {
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch {
    throw new KeySetError(`is not valid JSON (${jsonErrorLocation(json)})`);
  }
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (typeof document !== 'object' || document === null || !Array.isArray(keys)) throw new KeySetError('must be a JWK Set: { "keys": [ ... ] }');
  if (keys.length === 0) throw new KeySetError('must hold at least one key');

  const kids = new Set<string>();
  const loaded: SigningKey[] = [];
  for (const [index, jwk] of keys.entries()) {
    const kid = (jwk as { kid?: unknown } | null)?.kid;
    const where = typeof kid === 'string' && /^[\x21-\x7e]{1,128}$/.test(kid) ? `keys[${index}] ("${kid}")` : `keys[${index}]`;
    if (typeof kid !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(kid)) throw new KeySetError(`${where}: needs a "kid" of 1-128 printable ASCII characters`);
    if (kids.has(kid)) throw new KeySetError(`${where}: "kid" is used by another key`);
    kids.add(kid);
    try {
      loaded.push(await createSigningKey(parseJwk(jwk), { signingThread }));
    } catch (error) {
      if (error instanceof KeyMaterialError) throw new KeySetError(`${where}: ${error.problem}`);
      throw error;
    }
  }
  return loaded;
}
