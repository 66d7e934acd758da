/** Checks grafana/dashboard.json: valid PromQL (via promtool), only contract metric names, the agreed panels and the datasource variable. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { describeWithPrograms } from '../support/outside-programs.js';
import { asArray, asRecord, asString, repoRoot, run } from './tools.js';

/** Metric names the service exports (histograms expand to _bucket, _sum and _count). */
const counters = [
  'tokenvend_tokens_issued_total',
  'tokenvend_token_requests_rejected_total',
  'tokenvend_rate_limit_store_errors_total',
  'tokenvend_key_reload_failures_total',
];
const gauges = ['tokenvend_signing_key_info', 'up'];
const histograms = ['tokenvend_token_sign_duration_seconds', 'tokenvend_http_request_duration_seconds'];
const contractMetrics = new Set([
  ...counters,
  ...gauges,
  ...histograms.flatMap((name) => ['_bucket', '_sum', '_count'].map((suffix) => name + suffix)),
]);
/** prom-client's default metrics. */
const defaultMetricPrefixes = /^(process|nodejs)_/;

/** Words that look like identifiers in PromQL but are not metric names. */
const keywords = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan', 'atan2']);

/** Grafana's own variables, replaced by representative values so promtool can parse the query. */
function substituteGrafanaVariables(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '5m')
    .replaceAll('$__interval', '1m')
    .replaceAll('$__range', '1h');
}

/** Metric names a PromQL expression selects: identifiers outside strings, label matchers, ranges, grouping clauses and function calls. */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  // Numbers and durations come first so "5m" or "1e3" are not read as identifiers.
  for (const match of stripped.matchAll(/(\d+(?:\.\d+)?(?:e[+-]?\d+)?[a-z]*)|([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/gi)) {
    const [, number, identifier, call] = match;
    if (number !== undefined || identifier === undefined || call !== undefined) continue;
    if (!keywords.has(identifier.toLowerCase())) names.push(identifier);
  }
  return names;
}

interface Query {
  where: string;
  expr: string;
}

type Json = Record<string, unknown>;

let dashboard: Json;
let panels: Json[];
let queries: Query[];

/** Panels at any depth: collapsed rows keep theirs inside. */
function allPanels(list: unknown): Json[] {
  return asArray(list, 'panels').flatMap((item) => {
    const panel = asRecord(item, 'panel');
    return [panel, ...allPanels(panel.panels)];
  });
}

beforeAll(async () => {
  dashboard = asRecord(JSON.parse(await readFile(path.join(repoRoot, 'grafana', 'dashboard.json'), 'utf8')), 'dashboard');
  panels = allPanels(dashboard.panels);
  queries = panels.flatMap((panel) =>
    asArray(panel.targets, 'targets').map((target, index) => ({
      where: `panel "${String(panel.title)}" target ${index}`,
      expr: asString(asRecord(target, 'target').expr, `panel "${String(panel.title)}" expr`),
    })),
  );
  for (const variable of asArray(asRecord(dashboard.templating, 'templating').list, 'templating.list')) {
    const item = asRecord(variable, 'variable');
    if (item.type !== 'query') continue;
    const raw = typeof item.query === 'string' ? item.query : asString(asRecord(item.query, 'query').query, 'variable query');
    // label_values(<selector>, <label>) and query_result(<expr>) wrap PromQL; label_values(<label>) has none.
    const inner = /^label_values\((.+),\s*\w+\s*\)$/s.exec(raw)?.[1] ?? /^query_result\((.+)\)$/s.exec(raw)?.[1];
    if (inner !== undefined) queries.push({ where: `variable ${String(item.name)}`, expr: inner });
  }
});

describeWithPrograms(['promtool'], 'grafana/dashboard.json with promtool', () => {
  it('has PromQL queries, all of which promtool parses', async () => {
    expect(queries.length).toBeGreaterThan(0);
    const dir = await mkdtemp(path.join(tmpdir(), 'tokenvend-dashboard-'));
    try {
      // promtool has no bare PromQL check in every version, but it parses recording rules.
      const rules = {
        groups: [
          {
            name: 'dashboard',
            rules: queries.map((query, index) => ({ record: `dashboard:query_${index}`, expr: substituteGrafanaVariables(query.expr) })),
          },
        ],
      };
      const file = path.join(dir, 'dashboard-queries.yml');
      await writeFile(file, JSON.stringify(rules, null, 2)); // JSON is YAML
      const { stdout } = await run('promtool', ['check', 'rules', file]);
      expect(stdout).toContain(`SUCCESS: ${queries.length} rules found`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('grafana/dashboard.json', () => {
  it('references only metric names from the metrics contract', () => {
    const unknown = queries.flatMap((query) =>
      metricNames(substituteGrafanaVariables(query.expr))
        .filter((name) => !contractMetrics.has(name) && !defaultMetricPrefixes.test(name))
        .map((name) => `${query.where}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  it('shows every agreed view', () => {
    const exprs = queries.map((query) => query.expr.replace(/\s+/g, ' '));
    const shows = (pattern: RegExp): boolean => exprs.some((expr) => pattern.test(expr));
    expect({
      tokensByCaller: shows(/sum by \(caller\) \(rate\(tokenvend_tokens_issued_total\{/),
      rejectionsByReason: shows(/sum by \(reason\) \(rate\(tokenvend_token_requests_rejected_total\{/),
      httpP50: shows(/histogram_quantile\(0\.5, sum by \(route, le\) \(rate\(tokenvend_http_request_duration_seconds_bucket\{/),
      httpP90: shows(/histogram_quantile\(0\.9, sum by \(route, le\) \(rate\(tokenvend_http_request_duration_seconds_bucket\{/),
      httpP99: shows(/histogram_quantile\(0\.99, sum by \(route, le\) \(rate\(tokenvend_http_request_duration_seconds_bucket\{/),
      signP99ByAlg: shows(/histogram_quantile\(0\.99, sum by \(alg, le\) \(rate\(tokenvend_token_sign_duration_seconds_bucket\{/),
      eventLoopLag: shows(/nodejs_eventloop_lag_p99_seconds\{/),
      storeErrors: shows(/rate\(tokenvend_rate_limit_store_errors_total\{/),
      activeKey: shows(/by \(instance, kid, alg\) \(tokenvend_signing_key_info\{[^}]*\} == 1\)/),
    }).toEqual({
      tokensByCaller: true,
      rejectionsByReason: true,
      httpP50: true,
      httpP90: true,
      httpP99: true,
      signP99ByAlg: true,
      eventLoopLag: true,
      storeErrors: true,
      activeKey: true,
    });
  });

  it('takes its datasource from a `datasource` variable in every panel and query', () => {
    const variables = asArray(asRecord(dashboard.templating, 'templating').list, 'templating.list').map((item) => asRecord(item, 'variable'));
    expect(variables.find((variable) => variable.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    const viaVariable = { type: 'prometheus', uid: '${datasource}' };
    for (const panel of panels.filter((item) => item.type !== 'row')) {
      expect({ panel: panel.title, datasource: panel.datasource }).toEqual({ panel: panel.title, datasource: viaVariable });
      for (const target of asArray(panel.targets, 'targets')) {
        expect({ panel: panel.title, datasource: asRecord(target, 'target').datasource }).toEqual({ panel: panel.title, datasource: viaVariable });
      }
    }
  });

  it('has a stable uid, unique panel ids and panels inside the 24-column grid', () => {
    expect(dashboard.uid).toBe('tokenvend');
    const ids = panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) {
      const grid = asRecord(panel.gridPos, `panel "${String(panel.title)}" gridPos`);
      expect(Number(grid.x) + Number(grid.w)).toBeLessThanOrEqual(24);
    }
  });
});

describe('metricNames', () => {
  it('finds selectors and skips functions, labels, grouping, durations and keywords', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (alg, le) (rate(a_bucket{job="x", le=~"0.1|foo"}[5m] offset 1m))) > 1e3 and on (job) b unless ignoring(x) group_left c',
      ),
    ).toEqual(['a_bucket', 'b', 'c']);
  });
});
