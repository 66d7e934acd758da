/**
 * Writes deploy/kubernetes/base/prometheus-rule.yaml, the prometheus-operator PrometheusRule, from
 * prometheus/alerts.yml, so that the cluster alerts on exactly what promtool tests there.
 *
 *   npm run generate:k8s-rules            rewrite the file
 *   node deploy/kubernetes/generate-prometheus-rule.mjs --check   exit 1 when the file is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const alertsFile = fileURLToPath(new URL('../../prometheus/alerts.yml', import.meta.url));
const ruleFile = fileURLToPath(new URL('./base/prometheus-rule.yaml', import.meta.url));

const header = [
  '# Generated from prometheus/alerts.yml by `npm run generate:k8s-rules`; edit alerts.yml, not this file.',
  '# test/ops/kubernetes.test.ts fails while the two disagree.',
  '',
].join('\n');

/** The PrometheusRule text for the given alerts.yml text. */
export function renderPrometheusRule(alertsText) {
  const { groups } = parse(alertsText);
  const rule = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'tokenvend', labels: { 'app.kubernetes.io/name': 'tokenvend' } },
    spec: { groups },
  };
  // lineWidth 0: long PromQL stays on one line as written, rather than folded.
  return header + stringify(rule, { lineWidth: 0 });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const wanted = renderPrometheusRule(readFileSync(alertsFile, 'utf8'));
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(ruleFile, 'utf8');
    } catch {
      // A missing file is out of date too.
    }
    if (current !== wanted) {
      process.stderr.write(`${ruleFile} is out of date with prometheus/alerts.yml: run npm run generate:k8s-rules\n`);
      process.exit(1);
    }
  } else {
    writeFileSync(ruleFile, wanted);
  }
}
