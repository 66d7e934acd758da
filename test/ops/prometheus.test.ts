/** Checks the Prometheus config and alert rules with promtool and runs the rule unit tests in alerts.test.yml. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { describeWithPrograms } from '../support/outside-programs.js';
import { asArray, asRecord, asString, parseYaml, repoRoot, run } from './tools.js';

const alertNames = [
  'TokenvendInstanceDown',
  'TokenvendNoActiveSigningKey',
  'TokenvendHigh5xxRatio',
  'TokenvendHighRejectionRatio',
  'TokenvendSlowSigning',
  'TokenvendRateLimitSpike',
  'TokenvendRateLimitStoreErrors',
  'TokenvendKeyReloadFailed',
];

async function readYaml(file: string): Promise<unknown> {
  return parseYaml(await readFile(path.join(repoRoot, file), 'utf8'));
}

describeWithPrograms(['promtool'], 'promtool', () => {
  it('accepts prometheus/prometheus.yml, including the rule file it names', async () => {
    const { stdout } = await run('promtool', ['check', 'config', 'prometheus/prometheus.yml']);
    expect(stdout).toContain('SUCCESS: 1 rule files found');
    expect(stdout).toContain('is valid prometheus config file syntax');
  });

  it('accepts prometheus/alerts.yml', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', 'prometheus/alerts.yml']);
    expect(stdout).toContain(`SUCCESS: ${alertNames.length} rules found`);
  });

  it('passes the rule unit tests in prometheus/alerts.test.yml', async () => {
    const { stdout } = await run('promtool', ['test', 'rules', 'prometheus/alerts.test.yml']);
    expect(stdout).toContain('SUCCESS');
  });
});

describe('prometheus/prometheus.yml', () => {
  it('scrapes both compose replicas as job tokenvend on /metrics and loads alerts.yml', async () => {
    const config = asRecord(await readYaml('prometheus/prometheus.yml'), 'prometheus.yml');
    expect(config.rule_files).toEqual(['alerts.yml']);
    const jobs = asArray(config.scrape_configs, 'scrape_configs').map((job) => asRecord(job, 'scrape config'));
    const tokenvend = jobs.find((job) => job.job_name === 'tokenvend');
    expect(tokenvend).toBeDefined();
    expect(tokenvend?.metrics_path).toBe('/metrics');
    const targets = asArray(tokenvend?.static_configs, 'static_configs').flatMap((group) =>
      asArray(asRecord(group, 'static config').targets, 'targets'),
    );
    expect(targets).toEqual(['tokenvend-1:9464', 'tokenvend-2:9464']);
  });
});

describe('prometheus/alerts.yml', () => {
  it('defines exactly the contract alerts in group tokenvend, each with severity, summary and description', async () => {
    const file = asRecord(await readYaml('prometheus/alerts.yml'), 'alerts.yml');
    const groups = asArray(file.groups, 'groups').map((group) => asRecord(group, 'group'));
    expect(groups.map((group) => group.name)).toEqual(['tokenvend']);
    const rules = asArray(groups[0]?.rules, 'rules').map((rule) => asRecord(rule, 'rule'));
    expect(rules.map((rule) => rule.alert)).toEqual(alertNames);
    for (const rule of rules) {
      const name = asString(rule.alert, 'alert');
      const labels = asRecord(rule.labels, `${name} labels`);
      const annotations = asRecord(rule.annotations, `${name} annotations`);
      expect({ name, severity: labels.severity }).toEqual({ name, severity: expect.stringMatching(/^(critical|warning)$/) });
      expect({ name, summary: annotations.summary }).toEqual({ name, summary: expect.stringMatching(/\S/) });
      expect({ name, description: annotations.description }).toEqual({ name, description: expect.stringMatching(/\S/) });
    }
  });

  it('has unit tests in which every alert both fires and stays silent', async () => {
    const file = asRecord(await readYaml('prometheus/alerts.test.yml'), 'alerts.test.yml');
    expect(file.rule_files).toEqual(['alerts.yml']);
    const checks = asArray(file.tests, 'tests')
      .flatMap((test) => asArray(asRecord(test, 'test').alert_rule_test, 'alert_rule_test'))
      .map((check) => asRecord(check, 'alert_rule_test'));
    for (const name of alertNames) {
      const forAlert = checks.filter((check) => check.alertname === name);
      const fires = forAlert.some((check) => asArray(check.exp_alerts, 'exp_alerts').length > 0);
      const silent = forAlert.some((check) => asArray(check.exp_alerts, 'exp_alerts').length === 0);
      expect({ name, fires, silent }).toEqual({ name, fires: true, silent: true });
    }
  });
});
