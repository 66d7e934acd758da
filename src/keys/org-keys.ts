/**
 * Per-org keys (ORG_KEYS_FILE): a JSON object mapping orgId → key material in any form PRIVATE_KEY
 * takes (a secret string signs HS256, as every Vapi example does with the org's private key; a PEM;
 * or a private JWK object). A token for a listed org is signed with that org's key.
 */
import { jsonErrorLocation } from '../config/json-error-location.js';
import { ORG_ID_PATTERN } from '../config/options.js';
import { createSigningKey } from './create-signing-key.js';
import { KeyMaterialError } from './key-material-error.js';
import { parseJwk, parseKeyMaterial } from './parse-key-material.js';
import type { SigningKey } from './signing-key.js';
import type { SigningThread } from './signing-thread.js';

/** A problem in one place of the file; the message names the org, never the material. */
export class OrgKeysError extends Error {
  constructor(problem: string) {
    super(problem);
    this.name = 'OrgKeysError';
  }
}

/**
 * Parses and validates the whole file: one bad entry rejects it.
 *
 * @example
 * const orgKeys = await parseOrgKeys('{"3f2b6c1e-…":"<the org\'s Vapi private key>"}');
 * orgKeys.get('3f2b6c1e-…')?.alg; // 'HS256'
 */
export async function parseOrgKeys(json: string, { signingThread }: { signingThread?: SigningThread | undefined } = {}): Promise<Map<string, SigningKey>> {
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch {
    throw new OrgKeysError(`is not valid JSON (${jsonErrorLocation(json)})`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new OrgKeysError('must be a JSON object mapping each orgId to its key: { "<orgId>": "<key>" }');
  }
  const keys = new Map<string, SigningKey>();
  const byKid = new Map<string, string>();
  for (const [orgId, material] of Object.entries(document)) {
    const where = ORG_ID_PATTERN.test(orgId) ? `org "${orgId}"` : undefined;
    if (where === undefined) throw new OrgKeysError(`an orgId is not valid: orgIds are 1-128 characters from A-Z a-z 0-9 . _ : @ -`);
    let key: SigningKey;
    try {
      if (typeof material === 'string') {
        if (material.trim() === '') throw new KeyMaterialError('key', 'is empty');
        key = await createSigningKey(parseKeyMaterial(material, { several: 'an org signs with one key', path: 'ORG_KEYS_FILE holds each org\'s key itself (a secret, a PEM or a private JWK), not where it is stored' }), { signingThread });
      } else if (typeof material === 'object' && material !== null && !Array.isArray(material)) {
        key = await createSigningKey(parseJwk(material), { signingThread });
      } else {
        throw new KeyMaterialError('key', 'must be a key string (a secret or a PEM) or a private JWK object');
      }
    } catch (error) {
      if (error instanceof KeyMaterialError) throw new OrgKeysError(`${where}: ${error.problem}`);
      throw error;
    }
    if (key.kid !== undefined && key.publicJwk) {
      const fingerprint = JSON.stringify({ ...key.publicJwk, kid: undefined });
      const other = byKid.get(key.kid);
      if (other !== undefined && other !== fingerprint) throw new OrgKeysError(`${where}: its kid "${key.kid}" is used by another org's different key`);
      byKid.set(key.kid, fingerprint);
    }
    keys.set(orgId, key);
  }
  return keys;
}
