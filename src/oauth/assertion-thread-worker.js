// @ts-check
/**
 * The assertion thread's side of assertion-thread.ts: verifies each batch of client assertions it is
 * sent with jose, against the key set sent with each, and answers with the batch's id and one outcome
 * per assertion, in order. Plain JavaScript for the reason signing-thread-worker.js gives.
 */
import { parentPort } from 'node:worker_threads';
import { createLocalJWKSet, jwtVerify } from 'jose';

/** @typedef {import('./assertion-thread.js').AssertionBatch} AssertionBatch */
/** @typedef {import('./assertion-thread.js').AssertionBatchReply} AssertionBatchReply */
/** @typedef {import('./assertion-thread.js').AssertionOutcome} AssertionOutcome */

if (!parentPort) throw new Error('assertion-thread-worker.js runs as a worker thread only');
const port = parentPort;

/** @typedef {ReturnType<typeof createLocalJWKSet>} KeySet */

/** The texts this thread was sent, by number (assertion-thread.ts sends each once). */
/** @type {Map<number, string>} */
const texts = new Map();
/** Key sets built from those texts, by number. */
/** @type {Map<number, KeySet>} */
const keySets = new Map();
/** Audience lists parsed from those texts, by number. */
/** @type {Map<number, string[]>} */
const audienceLists = new Map();

/** @template T @param {Map<number, T>} cache @param {number} number @param {(text: string) => T} make @returns {T} */
function fromText(cache, number, make) {
  let value = cache.get(number);
  if (value === undefined) {
    const text = texts.get(number);
    if (text === undefined) throw new Error(`text ${number} was never sent`);
    cache.set(number, (value = make(text)));
  }
  return value;
}

port.on('message', async (/** @type {AssertionBatch} */ batch) => {
  for (const [number, text] of batch.texts) texts.set(number, text);
  // A check naming a text never sent means the two sides disagree: answering with no outcomes makes the event loop stop this thread and verify itself.
  if (batch.checks.some(([, , keys, audiences]) => !texts.has(keys) || !texts.has(audiences))) {
    port.postMessage({ id: batch.id, outcomes: [] });
    return;
  }
  /** @type {AssertionOutcome[]} */
  const outcomes = await Promise.all(
    batch.checks.map(async ([assertion, clientId, keysNumber, audiencesNumber, nowMs]) => {
      try {
        const keySet = fromText(keySets, keysNumber, (text) => createLocalJWKSet(JSON.parse(text)));
        const audience = fromText(audienceLists, audiencesNumber, (text) => JSON.parse(text));
        const { payload } = await jwtVerify(assertion, keySet, { ...batch.rules, issuer: clientId, subject: clientId, audience, currentDate: new Date(nowMs) });
        return { payload: { exp: payload.exp, iat: payload.iat, jti: payload.jti } };
      } catch (error) {
        const { code, claim } = /** @type {{ code?: unknown, claim?: unknown }} */ (error ?? {});
        return { failure: { ...(typeof code === 'string' && { code }), ...(typeof claim === 'string' && { claim }) } };
      }
    }),
  );
  /** @type {AssertionBatchReply} */
  const reply = { id: batch.id, outcomes };
  port.postMessage(reply);
});
