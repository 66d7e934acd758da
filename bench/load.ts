/** One measured load run: autocannon against a target, its CPU time, and optionally a /healthz probe beside it. */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import autocannon from 'autocannon';
import type { RunningTarget } from './target-pool.js';
import { assertionPool } from './client-assertions.js';
import { BENCH_ISSUER, CLIENT_ASSERTION_KEY, type BenchDoor } from './scenarios.js';

export interface LoadOptions {
  readonly durationSeconds: number;
  readonly connections: number;
  readonly body: string;
  readonly callerKey: string;
  /** POST /tokens unless given. */
  readonly door?: BenchDoor;
}

/** Assertions signed ahead per second of load: above any rate this machine reaches. */
const ASSERTIONS_PER_SECOND = 6000;
const OAUTH_FORM = 'grant_type=client_credentials&scope=org%3Aorg_bench';

/** The autocannon request of each door: the same caller and org through POST /tokens or POST /oauth/token. */
function requestFor(url: string, options: LoadOptions): Pick<autocannon.Options, 'url' | 'method' | 'headers' | 'body' | 'requests'> {
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  switch (options.door ?? 'tokens') {
    case 'tokens':
      return { url: `${url}/tokens`, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${options.callerKey}` }, body: options.body };
    case 'client_secret_basic':
      return { url: `${url}/oauth/token`, method: 'POST', headers: { ...form, authorization: `Basic ${Buffer.from(`bench:${options.callerKey}`).toString('base64')}` }, body: OAUTH_FORM };
    case 'private_key_jwt': {
      const next = assertionPool('bench', CLIENT_ASSERTION_KEY, BENCH_ISSUER, options.durationSeconds * ASSERTIONS_PER_SECOND);
      // With client_id, as openid-client (oauth4webapi) sends it beside every client assertion.
      const prefix = `${OAUTH_FORM}&client_id=bench&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=`;
      return {
        url: `${url}/oauth/token`,
        method: 'POST',
        headers: form,
        requests: [{ method: 'POST', path: '/oauth/token', headers: form, setupRequest: (req) => ({ ...req, body: `${prefix}${next()}` }) }],
      };
    }
  }
}

export interface RoundResult {
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly responses: number;
  readonly non2xx: number;
  /** Connection errors and timeouts. */
  readonly errors: number;
  /** Responses by status code; anything but 201 is a failed bench. */
  readonly statusCodes: Readonly<Record<string, number>>;
  /** Process CPU time over wall time, in % of one core; `undefined` where /proc is missing. */
  readonly cpuPercent: number | undefined;
  /** The load generator's own CPU time (this process: autocannon, and the /healthz probe) over wall time, in % of one core. */
  readonly loaderCpuPercent: number;
  /** /healthz latencies (ms) sampled during the run, when the target asked for a probe. */
  readonly healthLatenciesMs?: readonly number[];
  readonly healthFailures?: number;
}

const HEALTH_INTERVAL_MS = 20;

/**
 * @example
 * const round = await runLoad(target, { durationSeconds: 5, connections: 50, body, callerKey });
 */
export async function runLoad(target: RunningTarget, options: LoadOptions, { probe = false } = {}): Promise<RoundResult> {
  const pids = target.processes.map((process) => process.pid);
  const cpuBefore = totalCpuSeconds(pids);
  const loaderBefore = process.cpuUsage();
  const startedAt = performance.now();
  // Several processes (replicas) share the connections evenly, each its own autocannon, all at once.
  const share = Math.max(1, Math.round(options.connections / target.processes.length));
  const [results, health] = await Promise.all([
    Promise.all(
      target.processes.map((process) =>
        autocannon({
          ...requestFor(process.url, options),
          connections: share,
          pipelining: 1,
          duration: options.durationSeconds,
        }),
      ),
    ),
    probe ? probeHealth(`${target.url}/healthz`, options.durationSeconds * 1000) : undefined,
  ]);
  const wallSeconds = (performance.now() - startedAt) / 1000;
  const cpuAfter = totalCpuSeconds(pids);
  const loader = process.cpuUsage(loaderBefore);

  const statusCodes: Record<string, number> = {};
  for (const result of results) {
    for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = (statusCodes[code] ?? 0) + (count ?? 0);
  }
  const sum = (pick: (result: autocannon.Result) => number) => results.reduce((total, result) => total + pick(result), 0);
  // Latency of several processes: the slowest one's percentile (an upper bound of the merged one).
  const slowest = (pick: (result: autocannon.Result) => number) => Math.max(...results.map(pick));
  return {
    reqPerSec: sum((result) => result.requests.total / result.duration),
    p50Ms: slowest((result) => result.latency.p50),
    p99Ms: slowest((result) => result.latency.p99),
    responses: sum((result) => result.requests.total),
    non2xx: sum((result) => result.non2xx),
    errors: sum((result) => result.errors),
    statusCodes,
    cpuPercent: cpuBefore === undefined || cpuAfter === undefined ? undefined : ((cpuAfter - cpuBefore) / wallSeconds) * 100,
    loaderCpuPercent: ((loader.user + loader.system) / 1e6 / wallSeconds) * 100,
    ...(health && { healthLatenciesMs: health.latenciesMs, healthFailures: health.failures }),
  };
}

function totalCpuSeconds(pids: readonly number[]): number | undefined {
  let total = 0;
  for (const pid of pids) {
    const seconds = cpuSeconds(pid);
    if (seconds === undefined) return undefined;
    total += seconds;
  }
  return total;
}

/** True when every response was a success (201 from POST /tokens, 200 from POST /oauth/token) and no connection failed. */
export function isClean(round: RoundResult): boolean {
  return round.errors === 0 && round.non2xx === 0 && Object.keys(round.statusCodes).every((code) => code === '201' || code === '200');
}

interface HealthSamples {
  readonly latenciesMs: number[];
  readonly failures: number;
}

/** Runs in a worker thread so that autocannon's busy event loop does not inflate the measured latency. */
function probeHealth(url: string, durationMs: number): Promise<HealthSamples> {
  const worker = new Worker(new URL('./health-probe.js', import.meta.url), { workerData: { url, durationMs, intervalMs: HEALTH_INTERVAL_MS } });
  return new Promise((resolve, reject) => {
    worker.once('message', (samples: HealthSamples) => resolve(samples));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`health probe exited (code ${code}) without a result`)));
  });
}

const CLOCK_TICKS = clockTicksPerSecond();

/** User + system CPU seconds of a process from /proc/<pid>/stat (fields 14 and 15). */
function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces; fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 }).trim()) || 100;
  } catch {
    return 100;
  }
}
