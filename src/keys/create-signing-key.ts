/** Validates a parsed key against the algorithm rules and prepares everything signing needs, once. */
import { createHmac, createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { algorithmsFor, describeKey, HMAC_ALGORITHMS, MIN_RSA_BITS, minHmacBytes, nodeSignParams } from './algorithms.js';
import { KeyMaterialError } from './key-material-error.js';
import type { ParsedKey } from './parse-key-material.js';
import { proveKeyPair } from './probe-signing-key.js';
import type { PublicJwk, SigningKey } from './signing-key.js';
import { signInBatches, signKeyInBatches } from './sign-in-batches.js';
import { signOnThreadPool } from './sign-on-thread-pool.js';
import type { SigningThread } from './signing-thread.js';

export interface SigningKeyOptions {
  /** Wanted algorithm (SIGNING_ALG or a JWK's `alg`); inferred from the key when absent. */
  readonly alg?: string | undefined;
  /** Wanted `kid` (KEY_ID or a JWK's `kid`); the RFC 7638 thumbprint when absent. */
  readonly kid?: string | undefined;
  /** Where EC and EdDSA signatures are made; on the event loop, in batches, when absent. */
  readonly signingThread?: SigningThread | undefined;
}

/**
 * Builds a SigningKey: algorithm chosen and checked, `kid` decided, header encoded, CryptoKey
 * imported, and (asymmetric keys) a probe signed and verified against the published public key
 * (probe-signing-key.ts), so that every key, whichever file or variable it comes from, is proven
 * before it is used.
 *
 * @example
 * const key = await createSigningKey(parseKeyMaterial(pem), { alg: 'PS256' });
 */
export async function createSigningKey(parsed: ParsedKey, options: SigningKeyOptions = {}): Promise<SigningKey> {
  const wantedAlg = options.alg ?? parsed.hints.alg;
  const wantedKid = options.kid ?? parsed.hints.kid;
  const { sign, ...rest } =
    parsed.kind === 'secret'
      ? createHmacKey(parsed.secret, wantedAlg, wantedKid)
      : await createAsymmetricKey(parsed.key, wantedAlg, wantedKid, options.signingThread);
  return withFailureTracking(rest, sign);
}

type UntrackedKey = Omit<SigningKey, 'failing'>;

/**
 * Notes whether the last signature failed, for /readyz. One promise reaction per signature; about
 * 0.2 µs against the 60 µs an ES256 token costs the event loop.
 */
function withFailureTracking(key: Omit<SigningKey, 'failing' | 'sign'>, sign: SigningKey['sign']): SigningKey {
  let failing = false;
  const recover = (signature: string): string => {
    failing = false;
    return signature;
  };
  const fail = (error: unknown): never => {
    failing = true;
    throw error;
  };
  return {
    ...key,
    get failing() {
      return failing;
    },
    sign: (input) => (failing ? sign(input).then(recover, fail) : sign(input).catch(fail)),
  };
}

function createHmacKey(secret: Buffer, wantedAlg: string | undefined, kid: string | undefined): UntrackedKey {
  const alg = wantedAlg ?? 'HS256';
  if (!(HMAC_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new KeyMaterialError('alg', `${alg} does not suit an HMAC secret (use HS256, HS384 or HS512)`);
  }
  const minBytes = minHmacBytes(alg);
  if (secret.length < minBytes) {
    throw new KeyMaterialError('key', `is an HMAC secret of ${secret.length} bytes; ${alg} needs at least ${minBytes}`);
  }
  const hash = `sha${alg.slice(2)}`;
  return {
    alg,
    kid,
    encodedHeader: encodeHeader(alg, kid),
    publicJwk: undefined,
    // A few microseconds: never worth a thread hop, and like EC cheaper in batches (sign-in-batches.ts).
    sign: signInBatches((input) => createHmac(hash, secret).update(input).digest('base64url')),
  };
}

async function createAsymmetricKey(
  key: KeyObject,
  wantedAlg: string | undefined,
  wantedKid: string | undefined,
  signingThread: SigningThread | undefined,
): Promise<UntrackedKey> {
  const suitable = algorithmsFor(key);
  if (suitable.length === 0) throw new KeyMaterialError('key', `is an unsupported ${describeKey(key)} (use RSA, P-256, P-384, P-521 or Ed25519)`);
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits !== undefined && bits < MIN_RSA_BITS) throw new KeyMaterialError('key', `is a ${bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required`);
  const alg = wantedAlg ?? (suitable[0] as string);
  if (!suitable.includes(alg)) {
    throw new KeyMaterialError('alg', `${alg} does not suit the ${describeKey(key)} (it supports ${suitable.join(', ')})`);
  }

  const { kty, crv, x, y, n, e } = createPublicKey(key).export({ format: 'jwk' }) as JWK;
  const members = { kty, crv, x, y, n, e };
  const kid = wantedKid ?? (await calculateJwkThumbprint(members as JWK, 'sha256'));
  const publicJwk = Object.freeze(
    Object.fromEntries(Object.entries({ ...members, kid, alg, use: 'sig' }).filter(([, value]) => value !== undefined)),
  ) as unknown as PublicJwk;
  proveKeyPair(key, publicJwk);

  const { digest, ...options } = nodeSignParams(alg);
  const signingKey = { key, ...options };
  const params = { digest, key: signingKey };
  const isRsa = key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss';
  return {
    alg,
    kid,
    encodedHeader: encodeHeader(alg, kid),
    publicJwk,
    // An RSA signature takes about a millisecond: it goes to the thread pool, off the event loop.
    // EC and EdDSA signatures take tens of microseconds: a thread hop each would cost as much, so
    // they go to the signing thread in batches, or are made together on the event loop without one.
    sign: isRsa
      ? signOnThreadPool(digest, signingKey)
      : signingThread
        ? signingThread.signer(params)
        : signKeyInBatches(params),
  };
}

function encodeHeader(alg: string, kid: string | undefined): string {
  return Buffer.from(JSON.stringify(kid === undefined ? { alg, typ: 'JWT' } : { alg, typ: 'JWT', kid })).toString('base64url');
}
