/** Mints one token: claims from the request, lifetime already checked, signed by the active key. */
import { randomUUID } from 'node:crypto';
import type { TokenScope } from '../auth/token-scope.js';
import { ForbiddenError, UnavailableError } from '../errors/service-error.js';
import type { KeyRing } from '../keys/key-ring.js';
import { SignerUnavailableError, type SigningKey } from '../keys/signing-key.js';

export interface TokenRequest {
  readonly orgId: string;
  /** Lifetime in seconds, already validated against the caller's limits. */
  readonly ttl: number;
  /** The `aud` claim: one audience, several, or none. */
  readonly audience?: string | readonly string[] | undefined;
  /** Vapi's `token` claim, when the caller has `tags`. */
  readonly scope?: TokenScope | undefined;
  /** RFC 9068 (the OAuth door): header `typ: "at+jwt"`, and `sub` and `client_id` naming the caller. */
  readonly profile?: { readonly typ: 'at+jwt'; readonly clientId: string } | undefined;
}

export interface IssuedToken {
  readonly token: string;
  readonly jti: string;
  readonly kid: string | undefined;
  readonly alg: string;
  /** Seconds since the epoch. */
  readonly iat: number;
  readonly exp: number;
}

export interface TokenIssuerOptions {
  readonly keyRing: KeyRing;
  /** Milliseconds since the epoch. */
  readonly clock: () => number;
  readonly issuer?: string | undefined;
  /** Told how long each signature took, in seconds. */
  readonly observeSign?: (alg: string, seconds: number) => void;
}

export type IssueToken = (request: TokenRequest) => Promise<IssuedToken>;

/**
 * Creates the token issuer. The JWS is assembled here (RFC 7515 §7.1) so that the protected
 * header is encoded once per key, not once per token; tests verify the result with jose and jsonwebtoken.
 *
 * @example
 * const issue = createTokenIssuer({ keyRing, clock: Date.now, issuer: 'https://tokens.example' });
 * const { token } = await issue({ orgId: 'org_a', ttl: 900, audience: 'orders-api' });
 */
export function createTokenIssuer({ keyRing, clock, issuer, observeSign = () => undefined }: TokenIssuerOptions): IssueToken {
  return async ({ orgId, ttl, audience: aud, scope, profile }) => {
    const key = keyRing.keyFor(orgId);
    if (!key) {
      // With ORG_KEYS_FILE and no service key, an org outside the file has no key to be signed with.
      if (keyRing.hasOrgKeys && !keyRing.active) throw new ForbiddenError('This org has no signing key (it is not in ORG_KEYS_FILE and the server has no service key)');
      throw new UnavailableError('No signing key is available');
    }
    const iat = Math.floor(clock() / 1000);
    const exp = iat + ttl;
    const jti = randomUUID();
    const subject = profile && { sub: profile.clientId, client_id: profile.clientId };
    const claims = { orgId, ...(scope !== undefined && { token: scope }), ...(issuer !== undefined && { iss: issuer }), ...subject, ...(aud !== undefined && { aud }), iat, exp, jti };
    const header = profile ? accessTokenHeader(key) : key.encodedHeader;
    const signingInput = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const started = process.hrtime.bigint();
    let signature: string;
    try {
      signature = await key.sign(signingInput);
    } catch (error) {
      // The signing thread stopped with this signature in flight; a retry is signed again. Any other failure is a 500, logged.
      if (error instanceof SignerUnavailableError) throw new UnavailableError('The signer was restarting; retry the request', { cause: error, retryAfterSeconds: 1 });
      throw error;
    }
    observeSign(key.alg, Number(process.hrtime.bigint() - started) / 1e9);
    return { token: `${signingInput}.${signature}`, jti, kid: key.kid, alg: key.alg, iat, exp };
  };
}

// The key's own header with `typ: "at+jwt"` (RFC 9068 §2.1), encoded once per key as the JWT one is.
const accessTokenHeaders = new WeakMap<SigningKey, string>();
function accessTokenHeader(key: SigningKey): string {
  let encoded = accessTokenHeaders.get(key);
  if (encoded === undefined) {
    const header = JSON.parse(Buffer.from(key.encodedHeader, 'base64url').toString('utf8')) as Record<string, unknown>;
    encoded = Buffer.from(JSON.stringify({ ...header, typ: 'at+jwt' })).toString('base64url');
    accessTokenHeaders.set(key, encoded);
  }
  return encoded;
}
