/** Real key material of every supported kind, made fresh for each test run. */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';

export interface TestKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** PKCS#8 PEM. */
  readonly pkcs8: string;
}

function pair(type: 'rsa' | 'ec' | 'ed25519', options: Record<string, unknown> = {}): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync(type as 'rsa', options as { modulusLength: number });
  return { privateKey, publicKey, pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

const cache = new Map<string, TestKey>();
const cached = (name: string, make: () => TestKey): TestKey => {
  if (!cache.has(name)) cache.set(name, make());
  return cache.get(name) as TestKey;
};

export const rsaKey = (): TestKey => cached('rsa', () => pair('rsa', { modulusLength: 2048 }));
export const p256Key = (): TestKey => cached('p256', () => pair('ec', { namedCurve: 'P-256' }));
export const p384Key = (): TestKey => cached('p384', () => pair('ec', { namedCurve: 'P-384' }));
export const p521Key = (): TestKey => cached('p521', () => pair('ec', { namedCurve: 'P-521' }));
export const ed25519Key = (): TestKey => cached('ed25519', () => pair('ed25519'));

/** PKCS#1 (`BEGIN RSA PRIVATE KEY`) for RSA, SEC1 (`BEGIN EC PRIVATE KEY`) for EC. */
export function traditionalPem(key: TestKey, type: 'pkcs1' | 'sec1'): string {
  return key.privateKey.export({ type, format: 'pem' }) as string;
}

export function privateJwk(key: TestKey, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...key.privateKey.export({ format: 'jwk' }), ...extra });
}

/** An HMAC secret of the given length, printable so it can travel in an environment variable. */
export function hmacSecret(bytes = 48): string {
  return randomBytes(bytes).toString('base64url').slice(0, bytes);
}

/** A private P-256 JWK whose `d` belongs to another key than its `x`/`y`: parts that disagree. */
export function mismatchedJwk(kid: string): string {
  const jwk = (key: TestKey) => key.privateKey.export({ format: 'jwk' }) as Record<string, string>;
  return JSON.stringify({ ...jwk(pair('ec', { namedCurve: 'P-256' })), d: jwk(pair('ec', { namedCurve: 'P-256' })).d, kid });
}
