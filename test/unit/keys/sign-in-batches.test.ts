import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { signInBatches } from '../../../src/keys/sign-in-batches.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('signInBatches', () => {
  it('signs nothing while the caller runs, then every input of the turn together, in order', async () => {
    const signed: string[] = [];
    const signer = signInBatches((input) => {
      signed.push(input);
      return `sig:${input}`;
    });
    const pending = ['a', 'b', 'c'].map((text) => signer(text));
    expect(signed).toEqual([]);
    const signatures = await Promise.all(pending);
    expect(signed).toEqual(['a', 'b', 'c']);
    expect(signatures).toEqual(['sig:a', 'sig:b', 'sig:c']);
  });

  it('makes at most maxBatch signatures per turn and leaves the rest for the next', async () => {
    const signed: string[] = [];
    const signer = signInBatches((input) => {
      signed.push(input);
      return input;
    }, 2);
    const all = Promise.all(['1', '2', '3', '4', '5'].map((n) => signer(n)));
    await nextTurn();
    expect(signed).toEqual(['1', '2']);
    await nextTurn();
    expect(signed).toEqual(['1', '2', '3', '4']);
    await all;
    expect(signed).toEqual(['1', '2', '3', '4', '5']);
  });

  it('rejects only the signature that failed', async () => {
    const signer = signInBatches((input) => {
      if (input === '2') throw new Error('no');
      return input;
    });
    const results = await Promise.allSettled(['1', '2', '3'].map((n) => signer(n)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('starts a new batch for inputs that arrive after a batch was signed', async () => {
    let calls = 0;
    const signer = signInBatches((input) => {
      calls += 1;
      return input;
    });
    await signer('1');
    await signer('2');
    expect(calls).toBe(2);
  });

  it('produces signatures that verify with the real ES256 signer', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signer = signInBatches((input) => sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url'));
    const inputs = Array.from({ length: 40 }, (_, i) => `header.payload-${i}`);
    const signatures = await Promise.all(inputs.map((input) => signer(input)));
    inputs.forEach((input, i) => {
      expect(verify('sha256', Buffer.from(input), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signatures[i] as string, 'base64url'))).toBe(true);
    });
  });
});
