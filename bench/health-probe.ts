/** Worker: one keep-alive GET /healthz every interval for a fixed time; posts the latencies back. */
import { Agent, get } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

const { url, durationMs, intervalMs } = workerData as { url: string; durationMs: number; intervalMs: number };
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const REQUEST_TIMEOUT_MS = 5000;

function timeOne(): Promise<number | undefined> {
  const started = performance.now();
  return new Promise((resolve) => {
    const request = get(url, { agent, timeout: REQUEST_TIMEOUT_MS }, (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode === 200 ? performance.now() - started : undefined));
    });
    request.once('timeout', () => request.destroy());
    request.once('error', () => resolve(undefined));
  });
}

const latenciesMs: number[] = [];
let failures = 0;
const deadline = performance.now() + durationMs;
while (performance.now() < deadline) {
  const started = performance.now();
  const latency = await timeOne();
  if (latency === undefined) failures += 1;
  else latenciesMs.push(latency);
  const wait = intervalMs - (performance.now() - started);
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}
agent.destroy();
parentPort?.postMessage({ latenciesMs, failures });
