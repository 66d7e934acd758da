/** Private JWK Sets (SIGNING_KEYS_FILE documents) made of real keys. */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';

export type SetKeyType = 'ES256' | 'RS256' | 'PS256' | 'EdDSA' | 'ES384';

export function privateSetKey(type: SetKeyType, kid: string): Record<string, unknown> {
  let privateKey: KeyObject;
  if (type === 'ES256' || type === 'ES384') privateKey = generateKeyPairSync('ec', { namedCurve: type === 'ES256' ? 'P-256' : 'P-384' }).privateKey;
  else if (type === 'EdDSA') privateKey = generateKeyPairSync('ed25519').privateKey;
  else privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  return { ...privateKey.export({ format: 'jwk' }), kid, ...(type === 'PS256' && { alg: 'PS256' }) };
}

export function keySetJson(...keys: Array<Record<string, unknown>>): string {
  return `${JSON.stringify({ keys }, null, 2)}\n`;
}
