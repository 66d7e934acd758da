/** Real key pairs and tokens for the verifier tests, made with jose exactly as a tokenvend signer would. */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface TestKey {
  readonly alg: string;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** What the JWKS publishes: public members only, plus kid, alg and use. */
  readonly jwk: JWK;
}

export async function createTestKey(alg: string, kid = `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Good tokenvend claims for org-a, valid for five minutes; pass `undefined` to drop a claim. */
export function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = nowSeconds();
  const merged: Record<string, unknown> = { orgId: 'org-a', iat: now, exp: now + 300, jti: randomUUID(), ...overrides };
  return Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined));
}

/** Signs as tokenvend's `POST /tokens` does (`typ: JWT`); `typ` sets another header value, `null` leaves it out. */
export function mint(key: TestKey, payload: Record<string, unknown> = claims(), typ: string | null = 'JWT'): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, ...(typ !== null && { typ }) }).sign(key.privateKey);
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsecured JWT (RFC 7519 §6): `alg: none`, empty signature. */
export function mintUnsecured(payload: Record<string, unknown> = claims(), kid?: string): string {
  return `${b64url({ alg: 'none', typ: 'JWT', ...(kid && { kid }) })}.${b64url(payload)}.`;
}

/** Flips one character in the middle of the signature, keeping it valid base64url. */
export function tamper(token: string): string {
  const [header, payload, signature = ''] = token.split('.');
  const i = Math.floor(signature.length / 2);
  const flipped = signature[i] === 'A' ? 'B' : 'A';
  return `${header}.${payload}.${signature.slice(0, i)}${flipped}${signature.slice(i + 1)}`;
}
