// @ts-check
/**
 * The signing thread's side of signing-thread.ts: signs each batch it is sent with the key last sent,
 * in order, and answers with the batch's id and one base64url signature (or the error) per input.
 *
 * Plain JavaScript (type-checked through JSDoc), because a worker thread loads its file as Node
 * runs it: this one file then works from src/ under jest and from dist/ in production alike.
 */
import { sign } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

/** @typedef {import('./signing-key.js').SignParams} SignParams */
/** @typedef {import('./signing-thread.js').BatchMessage} BatchMessage */
/** @typedef {import('./signing-thread.js').BatchReply} BatchReply */

if (!parentPort) throw new Error('signing-thread-worker.js runs as a worker thread only');
const port = parentPort;

/** @type {SignParams | undefined} */
let current;

port.on('message', (/** @type {BatchMessage} */ message) => {
  if (message.params) current = message.params;
  const params = current;
  /** @type {Array<string | Error>} */
  const results = message.inputs.map((input) => {
    try {
      if (!params) throw new Error('no key was sent before the first batch');
      return sign(params.digest, Buffer.from(input), params.key).toString('base64url');
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  });
  /** @type {BatchReply} */
  const reply = { id: message.id, results };
  port.postMessage(reply);
});
