// @ts-check
/**
 * A stand-in assertion thread for tests: answers each check with `{ payload: { jti: "thread:<assertion>" } }`,
 * exits with code 7 on a batch holding the assertion "exit", never answers a batch holding "silent",
 * and answers a batch holding "out of turn" with another batch's id.
 */
import { parentPort } from 'node:worker_threads';

parentPort?.on('message', (/** @type {{ id: number, checks: Array<[string]> }} */ { id, checks }) => {
  const assertions = checks.map(([assertion]) => assertion);
  if (assertions.includes('exit')) process.exit(7);
  if (assertions.includes('silent')) return;
  parentPort?.postMessage({ id: assertions.includes('out of turn') ? id + 1 : id, outcomes: assertions.map((assertion) => ({ payload: { jti: `thread:${assertion}` } })) });
});
