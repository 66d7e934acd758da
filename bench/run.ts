/** `npm run bench`: starts every target, loads them in interleaved rounds, prints and saves the medians. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { availableParallelism, cpus, platform, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isClean, runLoad, type LoadOptions, type RoundResult } from './load.js';
import { deriveFigures, renderMarkdown, summarise, type BenchReport, type Settings } from './report.js';
import { startBenchRedis, type BenchRedis } from './private-redis.js';
import { BENCH_REDIS_URL, buildTargetSpecs, CALLER_KEY, needsRedis, ROWS, twinOf, withRedisUrl } from './scenarios.js';
import { createTargetPool, type RunningTarget } from './target-pool.js';

const BODY = JSON.stringify({ orgId: 'org_bench', expiresIn: '15m' });
const RESULT_FILE = fileURLToPath(new URL('../bench-result.json', import.meta.url));
// Generous: the Redis rows start several processes at once, on a machine that may be busy.
const START_TIMEOUT_MS = 30_000;

function readSettings(): Settings {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: process.env.BENCH_ROUNDS ?? '3' },
      duration: { type: 'string', default: process.env.BENCH_DURATION ?? '5' },
      warmup: { type: 'string', default: process.env.BENCH_WARMUP ?? '2' },
      connections: { type: 'string', default: process.env.BENCH_CONNECTIONS ?? '50' },
      only: { type: 'string', default: process.env.BENCH_ONLY ?? '' },
      before: { type: 'string', default: process.env.BENCH_BEFORE ?? '' },
    },
  });
  const whole = (name: string, raw: string, min: number, max: number): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}`);
    return value;
  };
  return {
    rounds: whole('rounds', values.rounds, 1, 20),
    durationSeconds: whole('duration', values.duration, 1, 60),
    warmupSeconds: whole('warmup', values.warmup, 0, 30),
    connections: whole('connections', values.connections, 1, 1000),
    pipelining: 1,
    // A regular expression on target names; the baseline always runs, since every ratio needs it.
    only: values.only === '' ? undefined : new RegExp(values.only),
    before: values.before === '' ? undefined : beforeCheckout(values.before),
  };
}

/** A checkout of tokenvend built with `npm run build`, whose service runs the rows "…, before". */
function beforeCheckout(dir: string): string {
  const root = resolve(dir);
  if (!existsSync(join(root, 'dist', 'server', 'main.js'))) throw new Error(`--before ${dir}: no dist/server/main.js there; run npm ci && npm run build in that checkout first`);
  return root;
}

async function main(): Promise<void> {
  const settings = readSettings();
  const machine = {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${platform()} ${release()}`,
    threadpoolSize: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
  };
  console.log(`Machine: ${machine.cpus} cores, node ${machine.node}`);

  const pool = createTargetPool({ startTimeoutMs: START_TIMEOUT_MS });
  let redis: BenchRedis | undefined;
  const killNow = (): void => {
    pool.killAll();
    redis?.kill();
  };
  process.once('exit', killNow);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\nbench: ${signal}, stopping targets`);
      killNow();
      process.exit(130);
    });
  }

  // A --before twin runs with the row it stands beside.
  const chosen = buildTargetSpecs(settings.before).filter((spec) => spec.name === ROWS.baseline || !settings.only || settings.only.test(twinOf(spec.name)));
  const watchdog = armWatchdog(settings, chosen.length, killNow);
  try {
    if (BENCH_REDIS_URL === undefined && chosen.some(needsRedis)) redis = await startBenchRedis();
    const redisUrl = BENCH_REDIS_URL ?? redis?.url;
    const specs = redisUrl === undefined ? chosen : chosen.map((spec) => withRedisUrl(spec, redisUrl));
    const targets = await Promise.all(specs.map((spec) => pool.start(spec)));
    const load = (seconds: number, target: RunningTarget): LoadOptions => ({ durationSeconds: seconds, connections: settings.connections, body: target.spec.body ?? BODY, callerKey: CALLER_KEY, ...(target.spec.door && { door: target.spec.door }) });

    for (const target of targets) await checkOneRequest(target);
    if (settings.warmupSeconds > 0) {
      console.log(`Warm-up: ${settings.warmupSeconds} s per target`);
      for (const target of targets) failUnlessClean(target, 'warm-up', await runLoad(target, load(settings.warmupSeconds, target)));
    }

    const rounds = new Map<RunningTarget, RoundResult[]>(targets.map((target) => [target, []]));
    for (let round = 0; round < settings.rounds; round += 1) {
      // Rotate the order too, so no target always follows the same neighbour.
      const order = [...targets.slice(round % targets.length), ...targets.slice(0, round % targets.length)];
      for (const target of order) {
        const result = await runLoad(target, load(settings.durationSeconds, target), { probe: target.spec.probeHealth });
        rounds.get(target)?.push(result);
        console.log(`round ${round + 1}/${settings.rounds} ${target.spec.name}: ${Math.round(result.reqPerSec)} req/s${isClean(result) ? '' : ' (NOT CLEAN)'}`);
      }
    }

    const summary = summarise(targets.map((target) => [target.spec.name, rounds.get(target) ?? []]));
    const report: BenchReport = { machine, settings, ...summary, derived: deriveFigures(summary.targets) };
    console.log(`\n${renderMarkdown(report)}`);
    mkdirSync(dirname(RESULT_FILE), { recursive: true });
    writeFileSync(RESULT_FILE, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nWritten to ${RESULT_FILE}`);
    const dirty = report.targets.filter((t) => t.errors > 0 || Object.keys(t.statusCodes).some((code) => code !== '201' && code !== '200'));
    if (dirty.length > 0) {
      console.error(`bench: responses other than 201 (POST /tokens) or 200 (POST /oauth/token) from ${dirty.map((t) => `${t.name} ${JSON.stringify(t.statusCodes)}, ${t.errors} errors`).join('; ')}: the numbers above are not valid`);
      process.exitCode = 1;
    }
  } finally {
    clearTimeout(watchdog);
    await pool.stopAll();
    await redis?.stop();
  }
}

/** One request before any load, so a misconfigured target fails with its problem document, not a table of errors. */
async function checkOneRequest(target: RunningTarget): Promise<void> {
  for (const { url } of target.processes) await checkOneProcess(target, url);
}

async function checkOneProcess(target: RunningTarget, url: string): Promise<void> {
  const response = await fetch(`${url}/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${CALLER_KEY}` },
    body: target.spec.body ?? BODY,
    signal: AbortSignal.timeout(5000),
  });
  const text = await response.text();
  if (response.status !== 201 || !text.includes('"token"')) {
    throw new Error(`${target.spec.name}: POST /tokens answered ${response.status}: ${text.slice(0, 500)}`);
  }
}

function failUnlessClean(target: RunningTarget, phase: string, result: RoundResult): void {
  if (isClean(result)) return;
  const stderr = target.stderrTail();
  throw new Error(
    `${target.spec.name}: ${phase} got status codes ${JSON.stringify(result.statusCodes)} and ${result.errors} connection errors${stderr ? `\n--- stderr ---\n${stderr}` : ''}`,
  );
}

/** Bounds the whole run: expected load time plus a minute, then everything is killed. */
function armWatchdog(settings: Settings, targetCount: number, killAll: () => void): NodeJS.Timeout {
  const expectedSeconds = targetCount * (settings.warmupSeconds + settings.rounds * settings.durationSeconds);
  const timer = setTimeout(() => {
    console.error(`bench: still running after ${expectedSeconds + 60} s; giving up`);
    killAll();
    process.exit(1);
  }, (expectedSeconds + 60) * 1000);
  timer.unref();
  return timer;
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
