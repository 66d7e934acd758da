import { constants, generateKeyPairSync, verify } from 'node:crypto';
import { signOnThreadPool } from '../../../src/keys/sign-on-thread-pool.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

describe('signOnThreadPool', () => {
  it('signs off the event loop: the call returns before the signature exists', async () => {
    const signer = signOnThreadPool('sha256', { key: privateKey, padding: constants.RSA_PKCS1_PADDING });
    let settled = false;
    const pending = signer('input').then((signature) => {
      settled = true;
      return signature;
    });
    expect(settled).toBe(false);
    expect(verify('sha256', Buffer.from('input'), publicKey, Buffer.from(await pending, 'base64url'))).toBe(true);
  });

  it('keeps at most maxInFlight signatures in the pool and still signs every input', async () => {
    const signer = signOnThreadPool('sha256', { key: privateKey, padding: constants.RSA_PKCS1_PADDING }, 1);
    const order: number[] = [];
    const inputs = Array.from({ length: 6 }, (_, i) => `input-${i}`);
    const signatures = await Promise.all(
      inputs.map((input, i) =>
        signer(input).then((signature) => {
          order.push(i);
          return signature;
        }),
      ),
    );
    // One at a time means first in, first out.
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    inputs.forEach((input, i) => expect(verify('sha256', Buffer.from(input), publicKey, Buffer.from(signatures[i] as string, 'base64url'))).toBe(true));
  });

  it('rejects signatures OpenSSL refuses without stalling the queue behind them', async () => {
    const failing = signOnThreadPool('sha999', { key: privateKey }, 1);
    const results = await Promise.allSettled([failing('a'), failing('b'), failing('c')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
  });
});
