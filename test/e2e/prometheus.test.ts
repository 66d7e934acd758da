/**
 * The real service scraped by a real Prometheus every second, with prometheus/alerts.yml loaded: the
 * counters a dashboard reads arrive with the values the requests produced, and the alert rules evaluate.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { callersJson, testCaller } from '../support/callers.js';
import { p256Key } from '../support/keys.js';
import { describeWithPrograms, programPath } from '../support/outside-programs.js';
import { freePort } from '../support/redis-server.js';
import { startService, type RunningService } from '../support/spawn-service.js';

const ALERTS_FILE = fileURLToPath(new URL('../../prometheus/alerts.yml', import.meta.url));
const TOKENS = 7;
const REFUSALS = 2;
/** Every wait below shares one budget, so a stuck Prometheus fails the test in about this long. */
const DEADLINE_MS = 30_000;
const STDERR_TAIL = 4000;

const caller = testCaller('web-backend', { orgs: ['org_a'] });

interface PrometheusProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly stderrTail: () => string;
}

/** One target, scraped and evaluated every second; the rule file is the repository's own, by absolute path. */
function prometheusConfig(target: string): string {
  return [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 900ms',
    '  evaluation_interval: 1s',
    'rule_files:',
    `  - ${JSON.stringify(ALERTS_FILE)}`,
    'scrape_configs:',
    '  - job_name: tokenvend',
    '    metrics_path: /metrics',
    '    static_configs:',
    `      - targets: [${JSON.stringify(target)}]`,
    '',
  ].join('\n');
}

async function startPrometheus(dir: string, target: string): Promise<PrometheusProcess> {
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, prometheusConfig(target));
  const port = await freePort();
  const child = spawn(
    programPath('prometheus'),
    [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-STDERR_TAIL)));
  return { child, url: `http://127.0.0.1:${port}`, stderrTail: () => stderr.trim() };
}

async function stopPrometheus(prometheus: PrometheusProcess): Promise<void> {
  const { child } = prometheus;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Retries `probe` until it returns a value or the shared deadline passes; the failure names what was awaited and the last answer. */
async function eventually<T>(what: string, deadline: number, probe: () => Promise<{ done: true; value: T } | { done: false; last: unknown }>): Promise<T> {
  let last: unknown = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      const outcome = await probe();
      if (outcome.done) return outcome.value;
      last = outcome.last;
    } catch (error) {
      last = error instanceof Error ? error.message : error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`Prometheus: gave up waiting for ${what} after ${DEADLINE_MS} ms; last answer: ${JSON.stringify(last)}`);
}

interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

async function apiGet<T>(prometheus: PrometheusProcess, path: string): Promise<T> {
  const response = await fetch(`${prometheus.url}${path}`, { signal: AbortSignal.timeout(2000) });
  const body = (await response.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? response.status}`);
  return body.data;
}

async function query(prometheus: PrometheusProcess, promql: string): Promise<Sample[]> {
  const data = await apiGet<{ resultType: string; result: Sample[] }>(prometheus, `/api/v1/query?query=${encodeURIComponent(promql)}`);
  return data.result;
}

/** The single value of an instant vector, or undefined while it has no series. */
async function scalarOf(prometheus: PrometheusProcess, promql: string): Promise<number | undefined> {
  const [sample, ...more] = await query(prometheus, promql);
  if (more.length > 0) throw new Error(`${promql}: expected one series, got ${more.length + 1}`);
  return sample ? Number(sample.value[1]) : undefined;
}

describeWithPrograms(['prometheus'], 'a real Prometheus scraping the real service', () => {
  let service: RunningService | undefined;
  let prometheus: PrometheusProcess | undefined;
  let dir: string | undefined;
  let deadline = 0;

  beforeAll(async () => {
    deadline = Date.now() + DEADLINE_MS;
    dir = mkdtempSync(join(tmpdir(), 'tokenvend-prometheus-'));
    service = await startService({ NODE_ENV: 'production', HOST: '127.0.0.1', PRIVATE_KEY: p256Key().pkcs8, CALLERS: callersJson(caller), METRICS_ON_MAIN_PORT: 'true' });
    prometheus = await startPrometheus(dir, `127.0.0.1:${service.port}`);
    const running = prometheus;
    const exited = once(running.child, 'exit').then(([code, signal]) => {
      throw new Error(`prometheus exited (${String(signal ?? code)}) before it was ready:\n${running.stderrTail()}`);
    });
    exited.catch(() => undefined);
    await Promise.race([
      exited,
      eventually('/-/ready', deadline, async () => {
        const response = await fetch(`${running.url}/-/ready`, { signal: AbortSignal.timeout(1000) });
        return response.status === 200 ? { done: true, value: undefined } : { done: false, last: response.status };
      }),
    ]);
  }, DEADLINE_MS + 15_000);

  afterAll(async () => {
    // Each step runs even when an earlier one (or beforeAll) failed half-way.
    try {
      if (prometheus) await stopPrometheus(prometheus);
    } finally {
      try {
        if (service) expect(await service.stop()).toBe(0);
      } finally {
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
    }
  }, 20_000);

  it(
    'loads prometheus/alerts.yml and evaluates every rule without error',
    async () => {
      const running = prometheus as PrometheusProcess;
      const file = parseYaml(readFileSync(ALERTS_FILE, 'utf8')) as { groups: Array<{ name: string; rules: Array<{ alert: string }> }> };
      const expected = file.groups.map((group) => ({ name: group.name, rules: group.rules.map((rule) => rule.alert) }));

      type Rule = { name: string; health: string; lastError?: string };
      // Rules report health "unknown" until their group's first evaluation.
      const groups = await eventually('every rule to be evaluated with health "ok"', deadline, async () => {
        const data = await apiGet<{ groups: Array<{ name: string; file: string; rules: Rule[] }> }>(running, '/api/v1/rules');
        const healths = data.groups.flatMap((group) => group.rules.map((rule) => rule.health));
        return healths.length > 0 && healths.every((health) => health === 'ok') ? { done: true, value: data.groups } : { done: false, last: data.groups };
      });

      expect(groups.map((group) => ({ name: group.name, rules: group.rules.map((rule) => rule.name) }))).toEqual(expected);
      expect(groups.map((group) => group.file)).toEqual([ALERTS_FILE]);
      for (const rule of groups.flatMap((group) => group.rules)) expect({ rule: rule.name, lastError: rule.lastError ?? '' }).toEqual({ rule: rule.name, lastError: '' });
    },
    DEADLINE_MS + 5000,
  );

  it(
    'sees every issued token and every refusal, and a healthy instance raises no alert',
    async () => {
      const running = prometheus as PrometheusProcess;
      const target = service as RunningService;
      const mint = (key: string) =>
        fetch(`${target.baseUrl}/tokens`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ orgId: 'org_a' }),
          signal: AbortSignal.timeout(5000),
        });
      const statuses: number[] = [];
      for (let i = 0; i < TOKENS; i += 1) statuses.push((await mint(caller.key)).status);
      for (let i = 0; i < REFUSALS; i += 1) statuses.push((await mint(`${caller.key}x`)).status);
      expect(statuses).toEqual([...Array<number>(TOKENS).fill(201), ...Array<number>(REFUSALS).fill(401)]);

      const wanted = { up: 1, issued: TOKENS, unauthenticated: REFUSALS };
      const seen = await eventually(`up == 1, ${TOKENS} tokens issued and ${REFUSALS} unauthenticated refusals`, deadline, async () => {
        const [up, issued, unauthenticated] = await Promise.all([
          scalarOf(running, 'up{job="tokenvend"}'),
          scalarOf(running, 'sum(tokenvend_tokens_issued_total{job="tokenvend"})'),
          scalarOf(running, 'tokenvend_token_requests_rejected_total{job="tokenvend", reason="unauthenticated"}'),
        ]);
        const now = { up, issued, unauthenticated };
        return up === wanted.up && issued === wanted.issued && unauthenticated === wanted.unauthenticated ? { done: true, value: now } : { done: false, last: now };
      });
      expect(seen).toEqual(wanted);

      const byCaller = await query(running, 'tokenvend_tokens_issued_total{job="tokenvend"}');
      expect(byCaller.map((sample) => ({ caller: sample.metric.caller, alg: sample.metric.alg, value: sample.value[1] }))).toEqual([
        { caller: 'web-backend', alg: 'ES256', value: String(TOKENS) },
      ]);
      expect(await scalarOf(running, 'tokenvend_signing_key_info{job="tokenvend"}')).toBe(1);

      // The rules have run against this data by now (evaluation every second); none should be pending or firing.
      const { alerts } = await apiGet<{ alerts: Array<{ labels: Record<string, string>; state: string }> }>(running, '/api/v1/alerts');
      expect(alerts.map((alert) => `${alert.labels.alertname} (${alert.state})`)).toEqual([]);
    },
    DEADLINE_MS + 5000,
  );
});
