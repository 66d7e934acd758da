/** Turns the rounds into medians, and the medians into a Markdown table and a JSON document. */
import type { RoundResult } from './load.js';
import { ROWS, twinOf } from './scenarios.js';

export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly platform: string;
  readonly threadpoolSize: number;
}

export interface Settings {
  readonly rounds: number;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly connections: number;
  readonly pipelining: 1;
  /** Which targets besides the baseline run (BENCH_ONLY / --only). */
  readonly only?: RegExp | undefined;
  /** A built checkout whose service rows are loaded beside this one's (BENCH_BEFORE / --before). */
  readonly before?: string | undefined;
}

export interface TargetSummary {
  readonly name: string;
  readonly reqPerSec: number;
  /** Median req/s over the baseline's median req/s in the same run. */
  readonly ratio: number;
  /**
   * Each round's req/s over the baseline's in the same round (rounds are interleaved), as median,
   * lowest and highest: pairing rounds cancels most of the machine's drift, and the range shows
   * how far one run can be trusted.
   */
  readonly pairedRatio: { readonly median: number; readonly min: number; readonly max: number };
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuPercent: number | undefined;
  /** The load generator's CPU (% of one core), on the same cores: what a row's requests cost the client side. */
  readonly loaderCpuPercent: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  readonly rounds: readonly Omit<RoundResult, 'healthLatenciesMs'>[];
}

export interface HealthSummary {
  readonly target: string;
  readonly samples: number;
  readonly failures: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** A figure computed from two rows' medians, beside the goal it is held to (issues: ES256 >= 0.8x the baseline, limiter and metrics under 10%, >= 4x the seed). */
export interface DerivedFigure {
  readonly name: string;
  readonly value: number;
  /** How the value is computed, in row names. */
  readonly formula: string;
  /** None for a figure shown for comparison only. */
  readonly goal?: string;
  readonly met?: boolean;
}

export interface BenchReport {
  readonly machine: Machine;
  readonly settings: Settings;
  readonly targets: readonly TargetSummary[];
  readonly health: readonly HealthSummary[];
  readonly derived: readonly DerivedFigure[];
}

/**
 * Summarises each target's rounds by their median; the first target is the baseline.
 *
 * @example
 * const targets = summarise([['baseline', baselineRounds], ['tokenvend ES256', es256Rounds]]);
 */
export function summarise(results: ReadonlyArray<readonly [string, readonly RoundResult[]]>): { targets: TargetSummary[]; health: HealthSummary[] } {
  const baselineRounds = (results[0]?.[1] ?? []).map((round) => round.reqPerSec);
  const baseline = median(baselineRounds);
  const targets = results.map(([name, rounds]): TargetSummary => {
    const reqPerSec = median(rounds.map((round) => round.reqPerSec));
    const cpu = rounds.map((round) => round.cpuPercent);
    const paired = rounds.map((round, index) => round.reqPerSec / (baselineRounds[index] ?? Number.NaN));
    return {
      name,
      reqPerSec,
      ratio: reqPerSec / baseline,
      pairedRatio: { median: median(paired), min: Math.min(...paired), max: Math.max(...paired) },
      p50Ms: median(rounds.map((round) => round.p50Ms)),
      p99Ms: median(rounds.map((round) => round.p99Ms)),
      cpuPercent: cpu.every((value) => value !== undefined) ? median(cpu as number[]) : undefined,
      loaderCpuPercent: median(rounds.map((round) => round.loaderCpuPercent)),
      non2xx: sum(rounds.map((round) => round.non2xx)),
      errors: sum(rounds.map((round) => round.errors)),
      statusCodes: addCounts(rounds.map((round) => round.statusCodes)),
      rounds: rounds.map(({ healthLatenciesMs: _omitted, ...round }) => round),
    };
  });
  const health = results.flatMap(([name, rounds]): HealthSummary[] => {
    if (!rounds.some((round) => round.healthLatenciesMs)) return [];
    const samples = rounds.flatMap((round) => round.healthLatenciesMs ?? []).sort((a, b) => a - b);
    return [{ target: name, samples: samples.length, failures: sum(rounds.map((round) => round.healthFailures ?? 0)), p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99) }];
  });
  return { targets, health };
}

/**
 * The figures the issue sets goals for, each computed only when both of its rows ran (BENCH_ONLY may leave some out).
 *
 * @example
 * const derived = deriveFigures(summarise(results).targets);
 */
export function deriveFigures(targets: readonly TargetSummary[]): DerivedFigure[] {
  const rate = (name: string) => targets.find((target) => target.name === name)?.reqPerSec;
  const figures: DerivedFigure[] = [];
  const cost = (name: string, limited: string, bare: string): void => {
    const [withAll, without] = [rate(limited), rate(bare)];
    if (withAll === undefined || without === undefined) return;
    const value = 1 - withAll / without;
    figures.push({ name, value, formula: `1 - (${limited}) / (${bare})`, goal: '< 10%', met: value < 0.1 });
  };
  cost('cost of limiter + metrics (memory store)', ROWS.es256, ROWS.es256Bare);
  cost('cost of limiter + metrics (Redis store)', ROWS.es256Redis, ROWS.es256Bare);
  const [es256, seed, baseline] = [rate(ROWS.es256), rate(ROWS.seed), rate(ROWS.baseline)];
  if (es256 !== undefined && seed !== undefined) {
    const value = es256 / seed;
    figures.push({ name: 'ES256 over the seed-style server', value, formula: `(${ROWS.es256}) / (${ROWS.seed})`, goal: '>= 4x', met: value >= 4 });
  }
  for (const [row, goal] of [[ROWS.es256, 0.8], [ROWS.es256Redis, 0.75]] as const) {
    const value = rate(row);
    if (value === undefined || baseline === undefined) continue;
    figures.push({ name: `${row} over the bare-Express baseline`, value: value / baseline, formula: `(${row}) / (${ROWS.baseline})`, goal: `>= ${goal}x`, met: value / baseline >= goal });
  }
  // Issue 12: per-org keys and Vapi's token claim stay within 10 % of plain HS256, in the same run.
  const hs256 = rate(ROWS.hs256);
  for (const row of [ROWS.hs256OrgKeys, ROWS.hs256Public]) {
    const value = rate(row);
    if (value === undefined || hs256 === undefined) continue;
    figures.push({ name: `${row} over ${ROWS.hs256}`, value: value / hs256, formula: `(${row}) / (${ROWS.hs256})`, goal: '>= 0.9x', met: value / hs256 >= 0.9 });
  }
  const redis = rate(ROWS.es256Redis);
  if (es256 !== undefined && redis !== undefined) {
    // Issue 16: the production path (a shared Redis) nearly as fast as memory.
    figures.push({ name: 'ES256 with Redis over ES256 with the memory store', value: redis / es256, formula: `(${ROWS.es256Redis}) / (${ROWS.es256})`, goal: '>= 0.9x', met: redis / es256 >= 0.9 });
  }
  const pair = rate(ROWS.es256RedisPair);
  if (pair !== undefined && redis !== undefined) {
    figures.push({ name: 'two processes sharing Redis over one (same 2 cores)', value: pair / redis, formula: `(${ROWS.es256RedisPair}) / (${ROWS.es256Redis})` });
  }
  // Issue 15: the OAuth door beside POST /tokens, same key and caller.
  for (const [row, goal] of [[ROWS.oauthBasic, 0.9], [ROWS.oauthPrivateKeyJwt, 0.5]] as const) {
    const value = rate(row);
    if (value === undefined || es256 === undefined) continue;
    figures.push({ name: `${row} over ${ROWS.es256}`, value: value / es256, formula: `(${row}) / (${ROWS.es256})`, goal: `>= ${goal}x`, met: value / es256 >= goal });
  }
  // A change may cost a row at most 5 %, measured against the --before checkout's twin in the same run.
  for (const twin of targets.filter((target) => target.name !== twinOf(target.name))) {
    const value = rate(twinOf(twin.name));
    if (value === undefined) continue;
    figures.push({ name: `${twinOf(twin.name)} over its twin before the change`, value: value / twin.reqPerSec, formula: `(${twinOf(twin.name)}) / (${twin.name})`, goal: '>= 0.95x', met: value / twin.reqPerSec >= 0.95 });
  }
  const shaped = rate(ROWS.baselineShaped);
  if (es256 !== undefined && shaped !== undefined) {
    figures.push({ name: 'ES256 over the baseline served as tokenvend is', value: es256 / shaped, formula: `(${ROWS.es256}) / (${ROWS.baselineShaped})` });
  }
  return figures;
}

function renderFigure(figure: DerivedFigure): string {
  const value = figure.goal?.startsWith('<') ? `${(figure.value * 100).toFixed(1)}%` : `${figure.value.toFixed(2)}x`;
  const goal = figure.goal === undefined ? 'for comparison' : `goal ${figure.goal}: ${figure.met ? 'met' : 'NOT met'}`;
  return `- ${figure.name}: ${value} (${goal}) = ${figure.formula}`;
}

export function renderMarkdown({ machine, settings, targets, health, derived }: BenchReport): string {
  const cpu = (value: number | undefined) => (value === undefined ? 'n/a' : `${Math.round(value)}%`);
  // CPU per response in µs: % of a core over responses per second.
  const perResponse = (percent: number | undefined, reqPerSec: number) => (percent === undefined || reqPerSec === 0 ? 'n/a' : `${Math.round((percent / 100 / reqPerSec) * 1e6)}`);
  const paired = ({ median: mid, min, max }: TargetSummary['pairedRatio']) => `${mid.toFixed(2)} (${min.toFixed(2)}-${max.toFixed(2)})`;
  const rows = targets.map((t) =>
    `| ${t.name} | ${Math.round(t.reqPerSec)} | ${t.ratio.toFixed(2)} | ${paired(t.pairedRatio)} | ${t.p50Ms.toFixed(1)} | ${t.p99Ms.toFixed(1)} | ${t.non2xx} | ${t.errors} | ${cpu(t.cpuPercent)} | ${perResponse(t.cpuPercent, t.reqPerSec)} | ${perResponse(t.loaderCpuPercent, t.reqPerSec)} |`,
  );
  const healthLines = health.map(
    (h) => `/healthz under ${h.target} load: p50 ${h.p50Ms.toFixed(2)} ms, p99 ${h.p99Ms.toFixed(2)} ms (${h.samples} samples, ${h.failures} failed)`,
  );
  return [
    `Machine: ${machine.cpus} cores (${machine.cpuModel}), node ${machine.node}, ${machine.platform}, UV_THREADPOOL_SIZE ${machine.threadpoolSize}`,
    `Load: ${settings.connections} connections, pipelining ${settings.pipelining}, warm-up ${settings.warmupSeconds} s, ${settings.rounds} interleaved rounds x ${settings.durationSeconds} s; medians over rounds`,
    '',
    '| target | req/s (median) | ratio to baseline | per-round ratio: median (range) | p50 ms | p99 ms | non-2xx | errors | server CPU (% of 1 core) | server CPU per response (µs) | load generator CPU per response (µs) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    ...(derived.length > 0 ? ['Derived from the medians above:', ...derived.map(renderFigure), ''] : []),
    ...healthLines,
  ].join('\n');
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Nearest-rank percentile of sorted values; NaN when there are none. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function addCounts(counts: ReadonlyArray<Readonly<Record<string, number>>>): Record<string, number> {
  const total: Record<string, number> = {};
  for (const count of counts) for (const [code, n] of Object.entries(count)) total[code] = (total[code] ?? 0) + n;
  return total;
}
