import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { SignerUnavailableError } from '../../../src/keys/signing-key.js';
import { createSigningThread, SigningThreadError, type SigningThread } from '../../../src/keys/signing-thread.js';

const STAND_IN = new URL('../../support/exiting-signing-worker.js', import.meta.url);
// Answers start() (an empty batch) and never answers a signature.
const SILENT = new URL('data:text/javascript,import{parentPort}from"node:worker_threads";parentPort.on("message",(m)=>{if(!m.inputs.length)parentPort.postMessage({id:m.id,results:[]})});');
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const ed25519 = generateKeyPairSync('ed25519');

const es256 = (key: KeyObject) => ({ digest: 'sha256', key: { key, dsaEncoding: 'ieee-p1363' as const } });
const verifies = (digest: string | null, publicKey: KeyObject, input: string, signature: string) =>
  verify(digest, Buffer.from(input), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
const rejection = async (promise: Promise<unknown>): Promise<Error> => {
  const [result] = await Promise.allSettled([promise]);
  if (result?.status !== 'rejected') throw new Error('expected a rejection');
  return result.reason as Error;
};

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

  it('rejects a signature OpenSSL refuses as a fault (not "unavailable") and keeps signing the others', async () => {
    thread = createSigningThread();
    const failing = thread.signer({ digest: 'sha999', key: { key: p256.privateKey } });
    const good = thread.signer(es256(p256.privateKey));
    const [refused, signed] = await Promise.allSettled([failing('a'), good('b')]);
    expect(refused).toMatchObject({ status: 'rejected', reason: expect.any(SigningThreadError) });
    expect(signed.status === 'fulfilled' && verifies('sha256', p256.publicKey, 'b', signed.value)).toBe(true);
  });

  it('a thread that dies: what it held is refused, the event loop signs for 1 s, then a new thread; the pause doubles while it keeps dying', async () => {
    let now = 0;
    const failures: Array<[string, number]> = [];
    thread = createSigningThread({ workerUrl: STAND_IN, clock: () => now, onFailure: (error, ms) => failures.push([error.message, ms]) });
    const sign = thread.signer(es256(p256.privateKey));
    await expect(sign('first')).resolves.toBe('sig(first)');

    const lost = await Promise.allSettled([sign('exit'), sign('with it')]);
    for (const result of lost) expect(result).toMatchObject({ status: 'rejected', reason: expect.any(SignerUnavailableError) });
    expect((lost[0] as PromiseRejectedResult).reason.message).toBe('The signing thread exited (code 7) before answering');
    expect(failures).toEqual([['The signing thread exited (code 7) before answering', 1000]]);

    // Within the pause: a real signature, made here (the stand-in would answer "sig(...)").
    now = 999;
    expect(verifies('sha256', p256.publicKey, 'meanwhile', await sign('meanwhile'))).toBe(true);
    // A new thread that dies at once: twice the pause.
    now = 1000;
    await rejection(sign('exit'));
    now = 2999;
    expect(verifies('sha256', p256.publicKey, 'meanwhile', await sign('meanwhile'))).toBe(true);
    // A thread that answers ends the run of failures: the next death pauses 1 s again.
    now = 3000;
    await expect(sign('after')).resolves.toBe('sig(after)');
    await rejection(sign('exit'));
    expect(failures.map(([, ms]) => ms)).toEqual([1000, 2000, 1000]);
  });

  it('a thread that answers out of turn is stopped, and everything it held is refused', async () => {
    const failures: string[] = [];
    thread = createSigningThread({ workerUrl: STAND_IN, maxBatch: 1, onFailure: (error) => failures.push(error.message) });
    const sign = thread.signer(es256(p256.privateKey));
    const results = await Promise.allSettled([sign('out of turn'), sign('next')]);
    for (const result of results) expect(result).toMatchObject({ status: 'rejected', reason: expect.any(SignerUnavailableError) });
    expect(failures).toEqual(['The signing thread answered out of turn; stopped it']);
  });

  it('a thread that does not answer in time is stopped and what it held refused', async () => {
    const failures: string[] = [];
    thread = createSigningThread({ workerUrl: SILENT, timeoutMs: 100, onFailure: (error) => failures.push(error.message) });
    const sign = thread.signer(es256(p256.privateKey));
    const error = await rejection(sign('never answered'));
    expect(error).toBeInstanceOf(SignerUnavailableError);
    expect(error.message).toBe('The signing thread did not answer within 100 ms; stopped it');
    expect(failures).toEqual([error.message]);
  });

  it('an onFailure that throws (in the stall timer) becomes a process warning: what the thread held is refused as before, and the process goes on', async () => {
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      thread = createSigningThread({
        workerUrl: SILENT,
        timeoutMs: 100,
        onFailure: () => {
          throw new Error('the log transport is gone');
        },
      });
      const sign = thread.signer(es256(p256.privateKey));
      expect(await rejection(sign('never answered'))).toBeInstanceOf(SignerUnavailableError);
      expect(emitWarning.mock.calls).toEqual([['onFailure threw while told "The signing thread did not answer within 100 ms; stopped it": the log transport is gone', { code: 'TOKENVEND_ON_FAILURE_THREW' }]]);
    } finally {
      emitWarning.mockRestore();
    }
  });

  it('a thread that cannot be created refuses the batch, whether flushed full or at the end of the turn, and never throws', async () => {
    // new Worker() throws at once for a URL it cannot load from, as it does when no thread can be created.
    thread = createSigningThread({ workerUrl: new URL('http://example.invalid/worker.js'), maxBatch: 2 });
    const sign = thread.signer(es256(p256.privateKey));
    const full = await Promise.allSettled([sign('a'), sign('b')]);
    const endOfTurn = await Promise.allSettled([sign('c')]);
    for (const result of [...full, ...endOfTurn]) expect(result).toMatchObject({ status: 'rejected', reason: expect.any(SignerUnavailableError) });
  });

  it('close() refuses what is in flight without calling it a failure; later signatures are made on the event loop', async () => {
    const failures: Error[] = [];
    thread = createSigningThread({ workerUrl: SILENT, onFailure: (error) => failures.push(error) });
    const sign = thread.signer(es256(p256.privateKey));
    const inFlight = Promise.allSettled(Array.from({ length: 20 }, (_, i) => sign(`input-${i}`)));
    await new Promise((resolve) => setImmediate(resolve));
    await thread.close();
    for (const result of await inFlight) expect(result).toMatchObject({ status: 'rejected', reason: { message: 'The signing thread was closed' } });
    expect(failures).toEqual([]);
    expect(verifies('sha256', p256.publicKey, 'after close', await sign('after close'))).toBe(true);
  });

  it('start() resolves once the thread answers, and rejects naming the cause when its script cannot load', async () => {
    thread = createSigningThread();
    await expect(thread.start()).resolves.toBeUndefined();
    const broken = createSigningThread({ workerUrl: new URL('./no-such-worker.js', import.meta.url) });
    await expect(broken.start()).rejects.toThrow(/^The signing thread failed: Cannot find module .*no-such-worker\.js/);
  });

  it('holds the process open while signing and never while idle', async () => {
    // A process that never closes the thread: it must print the second signature, asked for once the
    // thread had gone idle, and then exit by itself. (dist/ is what `npm test` has just built.)
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
