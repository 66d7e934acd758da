/**
 * Every key proves itself when loaded: a probe signed with its private part must verify against
 * the public key it publishes. Reproduces the two keys the reliability run found accepted: a JWK
 * whose `d` belongs to another key's `x`/`y` (tokens no consumer accepts) and a JWK whose `d` is a
 * few bytes too long (every token a 500, "too small buffer").
 */
import { generateKeyPairSync } from 'node:crypto';
import { ConfigError } from '../../../src/config/config-error.js';
import { createSigningKey } from '../../../src/keys/create-signing-key.js';
import { KeySetError, parseKeySet } from '../../../src/keys/key-set.js';
import { loadSigningKeys } from '../../../src/keys/load-signing-keys.js';
import { parseJwk } from '../../../src/keys/parse-key-material.js';
import { createSigningThread } from '../../../src/keys/signing-thread.js';

const jwkOf = (curve: string): Record<string, string> => generateKeyPairSync('ec', { namedCurve: curve }).privateKey.export({ format: 'jwk' }) as Record<string, string>;
const good = { ...jwkOf('P-256'), kid: 'good-1' };
/** `d` of another key: the private and public parts disagree. */
const mismatched = { ...jwkOf('P-256'), d: jwkOf('P-256').d as string, kid: 'mixed-1' };
/** `d` three bytes longer than P-256's 32. */
const original = jwkOf('P-256');
const longD = { ...original, d: Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(original.d as string, 'base64url')]).toString('base64url'), kid: 'long-1' };

const MISMATCH = 'key "mixed-1" signs what its published public key does not verify: its private part does not match its public part';
const LONG = 'key "long-1" cannot sign (too small buffer): its private part is malformed';

describe('a key whose parts disagree is refused when loaded', () => {
  it.each([
    ['a d that belongs to another x/y', mismatched, MISMATCH],
    ['a d a few bytes too long', longD, LONG],
  ])('PRIVATE_KEY with %s: a ConfigError naming the variable and the kid', async (_name, jwk, problem) => {
    const loading = loadSigningKeys({ key: { variable: 'PRIVATE_KEY', material: JSON.stringify(jwk) }, signingAlg: undefined, keyId: undefined, signingKeys: undefined });
    await expect(loading).rejects.toThrow(ConfigError);
    await expect(loading).rejects.toThrow(`PRIVATE_KEY: ${problem}`);
    await expect(loading).rejects.not.toThrow(String(jwk['d']));
  });

  it.each([
    ['a d that belongs to another x/y', mismatched, `keys[1] ("mixed-1"): ${MISMATCH}`],
    ['a d a few bytes too long', longD, `keys[1] ("long-1"): ${LONG}`],
  ])('SIGNING_KEYS_FILE (and so its reload) with %s: the whole set is refused', async (_name, jwk, message) => {
    const set = JSON.stringify({ keys: [good, jwk] });
    await expect(parseKeySet(set)).rejects.toThrow(KeySetError);
    await expect(parseKeySet(set)).rejects.toThrow(message);
  });

  it('the probe is made on the calling thread: a signing thread is not needed to judge the key, nor blamed for it', async () => {
    const thread = createSigningThread();
    try {
      await expect(createSigningKey(parseJwk(mismatched), { signingThread: thread })).rejects.toThrow(MISMATCH);
      const key = await createSigningKey(parseJwk(good), { signingThread: thread });
      expect(key.kid).toBe('good-1');
      expect(key.failing).toBe(false);
    } finally {
      await thread.close();
    }
  });

  it('accepts every supported kind of key whose parts agree', async () => {
    for (const [type, options] of [
      ['rsa', { modulusLength: 2048 }],
      ['ec', { namedCurve: 'P-384' }],
      ['ec', { namedCurve: 'P-521' }],
      ['ed25519', {}],
    ] as const) {
      const jwk = generateKeyPairSync(type as 'rsa', options as { modulusLength: number }).privateKey.export({ format: 'jwk' });
      await expect(createSigningKey(parseJwk(jwk))).resolves.toMatchObject({ failing: false });
    }
  });
});
