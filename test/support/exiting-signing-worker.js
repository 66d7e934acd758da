// @ts-check
/** A signing thread that dies: exits with code 7 on the first batch that asks to sign "exit", and otherwise echoes "sig(<input>)". */
import { parentPort } from 'node:worker_threads';

parentPort?.on('message', (/** @type {{ inputs: string[] }} */ { inputs }) => {
  if (inputs.includes('exit')) process.exit(7);
  parentPort?.postMessage(inputs.map((input) => `sig(${input})`));
});
