/**
 * The assertion thread verifies private_key_jwt assertions off the event loop and gives exactly the
 * answers the event loop would; whenever it cannot answer, the event loop verifies instead, so a
 * failing thread never refuses a client.
 */
import { jest } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { parseCallers, type Caller } from '../../../src/auth/caller.js';
import { createMemoryReplayStore } from '../../../src/oauth/assertion-replay-store.js';
import { createAssertionThread, type AssertionCheck, type AssertionOutcome, type AssertionThread } from '../../../src/oauth/assertion-thread.js';
import { ASSERTION_RULES, createClientAssertionVerifier } from '../../../src/oauth/client-assertion.js';
import { OAuthError } from '../../../src/oauth/oauth-error.js';
import { oauthCaller, signAssertion, unsignedAssertion } from '../../support/client-assertions.js';
import { sleep } from '../../support/wait.js';

const NOW = 1_800_000_000_000;
const ENDPOINT = 'https://tokens.example/oauth/token';
const AUDIENCES = [ENDPOINT, 'https://tokens.example'];
const STAND_IN = new URL('../../support/stand-in-assertion-worker.js', import.meta.url);
const NEVER_ANSWERS = new URL('data:text/javascript,import{parentPort}from"node:worker_threads";parentPort.on("message",()=>{});');
const clientKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const [web] = parseCallers(JSON.stringify([oauthCaller('web-backend', {}, clientKey.privateKey).entry]), 'CALLERS') as [Caller];

const check = (assertion: string): AssertionCheck => ({ assertion, clientId: 'web', keys: '{"keys":[]}', audiences: '[]', nowMs: NOW });
const onEventLoop = (assertion: string) => async (): Promise<AssertionOutcome> => ({ payload: { jti: `here:${assertion}` } });
const jtiOf = (outcome: AssertionOutcome): unknown => ('payload' in outcome ? outcome.payload.jti : outcome.failure);

/** What the verifier answers: 'ok', or the invalid_client description. */
async function answer(verify: ReturnType<typeof createClientAssertionVerifier>, assertion: string, caller: Caller = web): Promise<string> {
  try {
    await verify(assertion, caller, AUDIENCES);
    return 'ok';
  } catch (error) {
    if (error instanceof OAuthError) return `${error.error}: ${error.description}`;
    throw error;
  }
}

describe('verifying on the thread gives the answers the event loop gives', () => {
  let thread: AssertionThread;
  afterEach(() => thread.close());

  const failures: Error[] = [];
  afterEach(() => expect(failures).toEqual([]));

  it('for a good assertion and for every way one can be bad', async () => {
    thread = createAssertionThread(ASSERTION_RULES, { onFailure: (error) => failures.push(error) });
    const onThread = createClientAssertionVerifier({ replay: createMemoryReplayStore(), clock: () => NOW, thread });
    const here = createClientAssertionVerifier({ replay: createMemoryReplayStore(), clock: () => NOW });
    const sign = (options = {}, key = clientKey.privateKey) => signAssertion('web-backend', key, NOW, ENDPOINT, options);
    const cases: Array<[string, string]> = [
      ['good', await sign()],
      ['good, aud the issuer', await sign({ aud: 'https://tokens.example' })],
      ['expired', await sign({ iat: NOW / 1000 - 300, exp: NOW / 1000 - 60 })],
      ['another key', await sign({}, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)],
      ['alg none', unsignedAssertion('web-backend', NOW, ENDPOINT)],
      ['wrong aud', await sign({ aud: 'https://elsewhere.example/token' })],
      ['iss another client', await sign({ iss: 'billing' })],
      ['no jti', await sign({ jti: null })],
      ['exp an hour ahead without iat', await sign({ iat: null, exp: NOW / 1000 + 3600 })],
      ['not a JWT', 'not-a-jwt'],
    ];
    const answers = await Promise.all(cases.map(async ([name, assertion]) => [name, await answer(onThread, assertion), await answer(here, assertion)]));
    for (const [name, threadAnswer, hereAnswer] of answers) expect([name, threadAnswer]).toEqual([name, hereAnswer]);
    expect(answers.filter(([, threadAnswer]) => threadAnswer === 'ok').map(([name]) => name)).toEqual(['good', 'good, aud the issuer']);
    // Replay is checked after the thread, on the event loop, against the one store.
    expect(await answer(onThread, cases[0]?.[1] as string)).toBe('invalid_client: The client assertion was already used; sign a new one with a fresh jti');
  });

  it('sends each key set once per thread, and a key set changed by a reload as a new one', async () => {
    thread = createAssertionThread(ASSERTION_RULES, { onFailure: (error) => failures.push(error) });
    const verify = createClientAssertionVerifier({ replay: createMemoryReplayStore(), clock: () => NOW, thread });
    const assertions = await Promise.all(Array.from({ length: 40 }, () => signAssertion('web-backend', clientKey.privateKey, NOW, ENDPOINT)));
    expect(await Promise.all(assertions.map((assertion) => answer(verify, assertion)))).toEqual(assertions.map(() => 'ok'));
    const rotated = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const [reloaded] = parseCallers(JSON.stringify([oauthCaller('web-backend', {}, rotated.privateKey).entry]), 'CALLERS') as [Caller];
    expect(await answer(verify, await signAssertion('web-backend', rotated.privateKey, NOW, ENDPOINT), reloaded)).toBe('ok');
    expect(await answer(verify, await signAssertion('web-backend', clientKey.privateKey, NOW, ENDPOINT), reloaded)).toBe('invalid_client: The client assertion is not signed by a key registered for this client');
  });
});

describe('when the thread cannot answer, the event loop verifies', () => {
  let thread: AssertionThread;
  afterEach(() => thread.close());

  it('uses the thread while it answers', async () => {
    thread = createAssertionThread(ASSERTION_RULES, { workerUrl: STAND_IN });
    const outcomes = await Promise.all(['a', 'b', 'c'].map((assertion) => thread.verify(check(assertion), onEventLoop(assertion))));
    expect(outcomes.map(jtiOf)).toEqual(['thread:a', 'thread:b', 'thread:c']);
  });

  it('a thread that exits: its batch is verified here, the event loop verifies for 1 s, then a new thread; the pause doubles while it keeps dying', async () => {
    let now = NOW;
    const failures: Array<[string, number]> = [];
    thread = createAssertionThread(ASSERTION_RULES, { workerUrl: STAND_IN, clock: () => now, onFailure: (error, ms) => failures.push([error.message, ms]) });
    expect((await Promise.all(['a', 'exit'].map((assertion) => thread.verify(check(assertion), onEventLoop(assertion))))).map(jtiOf)).toEqual(['here:a', 'here:exit']);
    expect(failures).toEqual([['The assertion thread exited (code 7)', 1000]]);
    // Paused: verified here without asking a thread.
    expect(jtiOf(await thread.verify(check('b'), onEventLoop('b')))).toBe('here:b');
    now += 1000;
    expect(jtiOf(await thread.verify(check('exit'), onEventLoop('exit')))).toBe('here:exit');
    expect(failures.map(([, ms]) => ms)).toEqual([1000, 2000]);
    now += 2000;
    expect(jtiOf(await thread.verify(check('c'), onEventLoop('c')))).toBe('thread:c');
  });

  it('a thread that does not answer in time is stopped, and what it held is verified here; its exit is not a second failure', async () => {
    const failures: Array<[string, number]> = [];
    thread = createAssertionThread(ASSERTION_RULES, { workerUrl: STAND_IN, timeoutMs: 100, onFailure: (error, ms) => failures.push([error.message, ms]) });
    expect(jtiOf(await thread.verify(check('silent'), onEventLoop('silent')))).toBe('here:silent');
    await sleep(300); // the terminated worker's exit event arrives
    expect(failures).toEqual([['The assertion thread did not answer within 100 ms; stopped it', 1000]]);
  });

  it('an onFailure that throws (in the stall timer) becomes a process warning: what the thread held is still verified here, and the process goes on', async () => {
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      thread = createAssertionThread(ASSERTION_RULES, {
        workerUrl: NEVER_ANSWERS,
        timeoutMs: 100,
        onFailure: () => {
          throw new Error('the log transport is gone');
        },
      });
      expect(jtiOf(await thread.verify(check('stalled'), onEventLoop('stalled')))).toBe('here:stalled');
      expect(emitWarning.mock.calls).toEqual([['onFailure threw while told "The assertion thread did not answer within 100 ms; stopped it": the log transport is gone', { code: 'TOKENVEND_ON_FAILURE_THREW' }]]);
      // Review: a thrown value without a prototype has no toString; describing it must not throw in turn.
      await thread.close();
      thread = createAssertionThread(ASSERTION_RULES, {
        workerUrl: NEVER_ANSWERS,
        timeoutMs: 100,
        onFailure: () => {
          throw Object.create(null);
        },
      });
      expect(jtiOf(await thread.verify(check('stalled again'), onEventLoop('stalled again')))).toBe('here:stalled again');
      expect(emitWarning.mock.calls[1]).toEqual(['onFailure threw while told "The assertion thread did not answer within 100 ms; stopped it": a value that is not an Error', { code: 'TOKENVEND_ON_FAILURE_THREW' }]);
    } finally {
      emitWarning.mockRestore();
    }
  });

  it('a thread that answers out of turn is stopped, and what it held is verified here; its exit is not a second failure', async () => {
    const failures: Array<[string, number]> = [];
    thread = createAssertionThread(ASSERTION_RULES, { workerUrl: STAND_IN, onFailure: (error, ms) => failures.push([error.message, ms]) });
    expect(jtiOf(await thread.verify(check('out of turn'), onEventLoop('out of turn')))).toBe('here:out of turn');
    await sleep(300);
    expect(failures).toEqual([['The assertion thread answered a batch it was not sent; stopped it', 1000]]);
  });

  it('verified here after the thread stalled, an assertion is judged at that time, not when it arrived', async () => {
    let now = NOW;
    thread = createAssertionThread(ASSERTION_RULES, { workerUrl: NEVER_ANSWERS, timeoutMs: 100, clock: () => now });
    const verify = createClientAssertionVerifier({ replay: createMemoryReplayStore(), clock: () => now, thread });
    const shortLived = await signAssertion('web-backend', clientKey.privateKey, NOW, ENDPOINT, { exp: NOW / 1000 + 2 });
    const answered = answer(verify, shortLived);
    now += 60_000; // the minute the thread stalled for, as the clock sees it
    expect(await answered).toBe('invalid_client: The client assertion has expired');
  });

  it('a used assertion sent again in the last moment of its tolerance, answered by the thread a moment after it, is refused (replay at the boundary)', async () => {
    const exp = NOW / 1000 + 60;
    let now = NOW;
    thread = createAssertionThread(ASSERTION_RULES);
    const verify = createClientAssertionVerifier({ replay: createMemoryReplayStore(), clock: () => now, thread });
    const assertion = await signAssertion('web-backend', clientKey.privateKey, NOW, ENDPOINT, { exp });
    expect(await answer(verify, assertion)).toBe('ok');
    now = exp * 1000 + 4_999; // 1 ms before exp plus the tolerance: still valid when it arrives
    const copies = [1, 2, 3].map(() => answer(verify, assertion));
    now += 2; // the thread answers 2 ms later
    expect(await Promise.all(copies)).toEqual(Array.from({ length: 3 }, () => 'invalid_client: The client assertion has expired'));
  });

  it('an authlib-style assertion (an hour-long exp, fresh for 5 minutes after iat) sent again at the very end of its window is refused, not forgotten', async () => {
    const iat = NOW / 1000 - 305; // iat + 300 s + the 5 s tolerance is exactly now
    const replay = createMemoryReplayStore();
    const verify = createClientAssertionVerifier({ replay, clock: () => NOW });
    const assertion = await signAssertion('web-backend', clientKey.privateKey, NOW, ENDPOINT, { iat, exp: iat + 3600 });
    expect(await Promise.all([1, 2, 3].map(() => answer(verify, assertion)))).toEqual(
      Array.from({ length: 3 }, () => 'invalid_client: The client assertion was signed more than 300 seconds ago; sign a fresh one'),
    );
  });

  it('the real thread answers a batch naming a key set it was never sent with no outcomes, which stops it (never a verdict)', async () => {
    const worker = new Worker(new URL('../../../src/oauth/assertion-thread-worker.js', import.meta.url));
    try {
      worker.postMessage({ id: 1, rules: ASSERTION_RULES, texts: [[0, '[]']], checks: [['a.b.c', 'web', 5, 0, NOW]] });
      const [reply] = (await once(worker, 'message')) as [unknown];
      expect(reply).toEqual({ id: 1, outcomes: [] });
    } finally {
      await worker.terminate();
    }
  });

  it('a thread that cannot be created: the event loop verifies, and nothing throws', async () => {
    thread = createAssertionThread(ASSERTION_RULES, { workerUrl: new URL('http://example.invalid/worker.js') });
    expect(jtiOf(await thread.verify(check('a'), onEventLoop('a')))).toBe('here:a');
  });

  it('close(): what is in flight and everything later is verified here, without calling it a failure', async () => {
    const failures: Error[] = [];
    thread = createAssertionThread(ASSERTION_RULES, { workerUrl: STAND_IN, onFailure: (error) => failures.push(error) });
    const inFlight = thread.verify(check('silent'), onEventLoop('silent'));
    await new Promise((resolve) => setImmediate(resolve));
    await thread.close();
    expect(jtiOf(await inFlight)).toBe('here:silent');
    expect(jtiOf(await thread.verify(check('a'), onEventLoop('a')))).toBe('here:a');
    expect(failures).toEqual([]);
  });

  it('a caller with a jwksUri is verified on the event loop, where its key set is fetched and cached', async () => {
    thread = createAssertionThread(ASSERTION_RULES, { workerUrl: STAND_IN });
    const [remote] = parseCallers(JSON.stringify([oauthCaller('remote', { jwksUri: 'http://127.0.0.1:9/jwks.json' }).entry]), 'CALLERS') as [Caller];
    const verify = createClientAssertionVerifier({ replay: createMemoryReplayStore(), clock: () => NOW, thread, remoteTimeoutMs: 500 });
    // The stand-in would answer any assertion as good: a refusal shows the event loop checked it.
    expect(await answer(verify, await signAssertion('remote', clientKey.privateKey, NOW, ENDPOINT), remote)).toBe("invalid_client: The keys registered at this client's jwksUri could not be fetched");
  });
});
