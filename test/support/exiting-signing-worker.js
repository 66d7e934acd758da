// @ts-check
/**
 * A stand-in signing thread for tests: answers "sig(<input>)" for each input, exits with code 7 on
 * a batch holding "exit", and answers a batch holding "out of turn" with another batch's id.
 */
import { parentPort } from 'node:worker_threads';

parentPort?.on('message', (/** @type {{ id: number, inputs: string[] }} */ { id, inputs }) => {
  if (inputs.includes('exit')) process.exit(7);
  parentPort?.postMessage({ id: inputs.includes('out of turn') ? id + 1 : id, results: inputs.map((input) => `sig(${input})`) });
});
