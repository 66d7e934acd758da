/** Client assertions (RFC 7523) and key-pair callers for the OAuth token endpoint tests. */
import { createHash, createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { generateCallerKey } from '../../src/auth/generate-caller-key.js';
import type { TestCaller } from './callers.js';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** A caller with a secret (generateCallerKey, as operators make them) and, given a key, that key's public JWK. */
export function oauthCaller(id: string, fields: Record<string, unknown> = {}, signingKey?: KeyObject): TestCaller {
  const key = generateCallerKey();
  const jwks = signingKey && { keys: [{ ...createPublicKey(signingKey).export({ format: 'jwk' }), kid: `${id}-1` }] };
  return { key, entry: { id, keySha256: createHash('sha256').update(key).digest('hex'), orgs: ['*'], ...(jwks && { jwks }), ...fields } };
}

export interface AssertionOptions {
  readonly iss?: string;
  readonly sub?: string;
  readonly aud?: string | string[];
  /** Seconds since the epoch. */
  readonly iat?: number | null;
  readonly exp?: number;
  readonly jti?: string | null;
  readonly alg?: string;
  readonly kid?: string;
}

/** Signs an assertion as a client library would: iss = sub = client id, aud = the token endpoint, one-minute exp, fresh jti. */
export async function signAssertion(clientId: string, key: KeyObject, nowMs: number, aud: string | string[], options: AssertionOptions = {}): Promise<string> {
  const iat = options.iat === undefined ? Math.floor(nowMs / 1000) : options.iat;
  const start = iat ?? Math.floor(nowMs / 1000);
  const jti = options.jti === undefined ? randomUUID() : options.jti;
  const jwt = new SignJWT({ ...(jti !== null && { jti }) })
    .setProtectedHeader({ alg: options.alg ?? 'ES256', ...(options.kid !== undefined && { kid: options.kid }) })
    .setIssuer(options.iss ?? clientId)
    .setSubject(options.sub ?? clientId)
    .setAudience(options.aud ?? aud)
    .setExpirationTime(options.exp ?? start + 60);
  if (iat !== null) jwt.setIssuedAt(iat);
  return jwt.sign(key);
}

/** An unsigned JWT (`alg: none`), which must never authenticate anyone. */
export function unsignedAssertion(clientId: string, nowMs: number, aud: string): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const iat = Math.floor(nowMs / 1000);
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ iss: clientId, sub: clientId, aud, iat, exp: iat + 60, jti: randomUUID() })}.`;
}
