/** Bench only: ES256 client assertions (RFC 7523) for the private_key_jwt row, signed before the load so the load generator spends no CPU on them. */
import { randomUUID, sign, type KeyObject } from 'node:crypto';

const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * One assertion, as openid-client signs them (aud = the token endpoint, a fresh jti); `exp` 30 s ahead keeps
 * the server's replay store small at bench rates.
 *
 * @example
 * const assertion = signClientAssertion('bench', key, 'http://127.0.0.1:8080/oauth/token');
 */
export function signClientAssertion(clientId: string, key: KeyObject, aud: string): string {
  const iat = Math.floor(Date.now() / 1000);
  const input = `${encode({ alg: 'ES256', typ: 'JWT', kid: 'bench-1' })}.${encode({ iss: clientId, sub: clientId, aud, iat, exp: iat + 30, jti: randomUUID() })}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

/** `count` assertions signed now, handed out once each; signed on demand once they run out. */
export function assertionPool(clientId: string, key: KeyObject, aud: string, count: number): () => string {
  const pool = Array.from({ length: count }, () => signClientAssertion(clientId, key, aud));
  return () => pool.pop() ?? signClientAssertion(clientId, key, aud);
}
