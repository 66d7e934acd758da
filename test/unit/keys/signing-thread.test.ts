import { execFile } from 'node:child_process';
import { generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createSigningThread, SigningThreadError, type SigningThread } from '../../../src/keys/signing-thread.js';

const EXITING_WORKER = new URL('../../support/exiting-signing-worker.js', import.meta.url);
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const ed25519 = generateKeyPairSync('ed25519');

const es256 = (key: KeyObject) => ({ digest: 'sha256', key: { key, dsaEncoding: 'ieee-p1363' as const } });
const verifies = (digest: string | null, publicKey: KeyObject, input: string, signature: string) =>
  verify(digest, Buffer.from(input), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));

describe('createSigningThread', () => {
  let thread: SigningThread;
  afterEach(() => thread.close());

  it('signs on its own thread: the call returns first, and the signatures verify for P-256, P-384 and Ed25519', async () => {
    thread = createSigningThread();
    const signers = [
      { sign: thread.signer(es256(p256.privateKey)), digest: 'sha256', publicKey: p256.publicKey },
      { sign: thread.signer({ digest: 'sha384', key: { key: p384.privateKey, dsaEncoding: 'ieee-p1363' } }), digest: 'sha384', publicKey: p384.publicKey },
      { sign: thread.signer({ digest: null, key: { key: ed25519.privateKey } }), digest: null, publicKey: ed25519.publicKey },
    ];
    for (const { sign, digest, publicKey } of signers) {
      let settled = false;
      const pending = sign('header.payload').then((signature) => {
        settled = true;
        return signature;
      });
      expect(settled).toBe(false);
      expect(verifies(digest, publicKey, 'header.payload', await pending)).toBe(true);
    }
  });

  it('answers every input with its own signature across many batches, two keys interleaved', async () => {
    thread = createSigningThread({ maxBatch: 3 });
    const signA = thread.signer(es256(p256.privateKey));
    const signB = thread.signer({ digest: null, key: { key: ed25519.privateKey } });
    const inputs = Array.from({ length: 40 }, (_, i) => `header.payload-${i}`);
    const signatures = await Promise.all(inputs.map((input, i) => (i % 5 < 2 ? signA(input) : signB(input))));
    inputs.forEach((input, i) => {
      const ok = i % 5 < 2 ? verifies('sha256', p256.publicKey, input, signatures[i] as string) : verifies(null, ed25519.publicKey, input, signatures[i] as string);
      expect(ok).toBe(true);
    });
  });

  it('rejects a signature OpenSSL refuses and keeps signing the others', async () => {
    thread = createSigningThread();
    const failing = thread.signer({ digest: 'sha999', key: { key: p256.privateKey } });
    const good = thread.signer(es256(p256.privateKey));
    const [refused, signed] = await Promise.allSettled([failing('a'), good('b')]);
    expect(refused).toMatchObject({ status: 'rejected', reason: expect.any(SigningThreadError) });
    expect(signed.status === 'fulfilled' && verifies('sha256', p256.publicKey, 'b', signed.value)).toBe(true);
  });

  it('a thread that dies rejects what it held, is reported once, and the next signature starts a new one', async () => {
    const failures: Error[] = [];
    thread = createSigningThread({ workerUrl: EXITING_WORKER, onFailure: (error) => failures.push(error) });
    const sign = thread.signer(es256(p256.privateKey));
    await expect(sign('first')).resolves.toBe('sig(first)');
    const lost = await Promise.allSettled([sign('exit'), sign('with it')]);
    expect(lost.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(SigningThreadError);
    expect((lost[0] as PromiseRejectedResult).reason.message).toBe('The signing thread exited (code 7) before answering');
    expect(failures).toHaveLength(1);
    await expect(sign('after')).resolves.toBe('sig(after)');
  });

  it('close() rejects what is in flight without calling it a failure; signing afterwards starts a new thread', async () => {
    const failures: Error[] = [];
    thread = createSigningThread({ onFailure: (error) => failures.push(error) });
    const sign = thread.signer(es256(p256.privateKey));
    await sign('warm up');
    const inFlight = Promise.allSettled(Array.from({ length: 50 }, (_, i) => sign(`input-${i}`)));
    await new Promise((resolve) => setImmediate(resolve));
    await thread.close();
    expect((await inFlight).some((r) => r.status === 'rejected')).toBe(true);
    expect(failures).toEqual([]);
    expect(verifies('sha256', p256.publicKey, 'again', await sign('again'))).toBe(true);
  });

  it('start() resolves once the thread answers, and rejects naming the cause when its script cannot load', async () => {
    thread = createSigningThread();
    await expect(thread.start()).resolves.toBeUndefined();
    const broken = createSigningThread({ workerUrl: new URL('./no-such-worker.js', import.meta.url) });
    await expect(broken.start()).rejects.toThrow(/^The signing thread failed: Cannot find module .*no-such-worker\.js/);
  });

  it('holds the process open while signing and never while idle', async () => {
    // A process that never closes the thread: it must print the second signature, asked for once the
    // thread had gone idle, and then exit by itself.
    const module = fileURLToPath(new URL('../../../dist/keys/signing-thread.js', import.meta.url));
    const script = `
      import { generateKeyPairSync } from 'node:crypto';
      import { createSigningThread } from ${JSON.stringify(module)};
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const sign = createSigningThread().signer({ digest: 'sha256', key: { key: privateKey, dsaEncoding: 'ieee-p1363' } });
      await sign('warm up');
      setTimeout(() => sign('header.payload').then((signature) => console.log(signature.length)), 50);`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 10_000 });
    expect(stdout.trim()).toBe('86');
    thread = createSigningThread();
  });
});
