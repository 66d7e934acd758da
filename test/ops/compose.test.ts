/** Validates docker-compose.yml with docker-compose itself and checks that its services, mounts and secrets fit the other ops files. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { describeWithPrograms } from '../support/outside-programs.js';
import { asArray, asRecord, asString, parseYaml, repoRoot, run } from './tools.js';

interface Mount {
  source: string;
  target: string;
}

/** Volumes come back as `src:dst[:mode]` from docker-compose 1.x and as objects from 2.x. */
function mounts(service: Record<string, unknown>): Mount[] {
  return asArray(service.volumes, 'volumes').map((volume) => {
    if (typeof volume === 'string') {
      const [source = '', target = ''] = volume.split(':');
      return { source, target };
    }
    const long = asRecord(volume, 'volume');
    return { source: asString(long.source, 'volume source'), target: asString(long.target, 'volume target') };
  });
}

/** Where compose puts each secret of a service: /run/secrets/<name> unless a target says otherwise. */
function secretPaths(service: Record<string, unknown>): Map<string, string> {
  const paths = new Map<string, string>();
  for (const secret of asArray(service.secrets, 'secrets')) {
    const entry = typeof secret === 'string' ? { source: secret } : asRecord(secret, 'secret');
    const source = asString(entry.source, 'secret source');
    const target = typeof entry.target === 'string' ? entry.target : source;
    paths.set(source, target.startsWith('/') ? target : `/run/secrets/${target}`);
  }
  return paths;
}

/** Environment as a mapping, whichever of the two compose forms the output uses. */
function environment(service: Record<string, unknown>): Record<string, string> {
  const env = service.environment;
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((item) => asString(item, 'environment entry').split(/=(.*)/s).slice(0, 2)));
  }
  return Object.fromEntries(Object.entries(asRecord(env ?? {}, 'environment')).map(([key, value]) => [key, String(value)]));
}

/** ENV settings of the Dockerfile's last stage, which is what runs. */
async function dockerfileEnv(): Promise<Record<string, string>> {
  const text = (await readFile(path.join(repoRoot, 'Dockerfile'), 'utf8')).replace(/\\\r?\n/g, ' ');
  const lines = text.split('\n').map((line) => line.trim());
  const lastStage = lines.map((line) => /^FROM\s/i.test(line)).lastIndexOf(true);
  const env: Record<string, string> = {};
  for (const line of lines.slice(lastStage)) {
    const match = /^ENV\s+(.*)$/i.exec(line);
    if (!match?.[1]) continue;
    for (const pair of match[1].trim().split(/\s+/)) {
      const [key = '', value = ''] = pair.split(/=(.*)/s);
      env[key] = value;
    }
  }
  return env;
}

describeWithPrograms(['docker-compose'], 'docker-compose.yml', () => {
  let services: Record<string, Record<string, unknown>>;
  let secretFiles: Record<string, unknown>;

  beforeAll(async () => {
    const { stdout } = await run('docker-compose', ['-f', 'docker-compose.yml', 'config']);
    const config = asRecord(await parseYaml(stdout), 'docker-compose config');
    services = Object.fromEntries(
      Object.entries(asRecord(config.services, 'services')).map(([name, service]) => [name, asRecord(service, name)]),
    );
    secretFiles = asRecord(config.secrets, 'secrets');
  });

  it('is valid for docker-compose (config -q)', async () => {
    const { stdout } = await run('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q']);
    expect(stdout).toBe('');
  });

  it('runs two replicas of one image built from this repository, sharing one Redis', () => {
    const replicas = ['tokenvend-1', 'tokenvend-2'].map((name) => services[name]);
    expect(Object.keys(services).sort()).toEqual(['grafana', 'prometheus', 'redis', 'tokenvend-1', 'tokenvend-2']);
    expect(services.redis?.image).toBe('redis:7-alpine');
    for (const replica of replicas) {
      expect(replica).toBeDefined();
      if (!replica) continue;
      expect(asRecord(replica.build, 'build').context).toBe(repoRoot);
      expect(replica.image).toBe(replicas[0]?.image);
      expect(environment(replica).REDIS_URL).toBe('redis://redis:6379');
      expect(environment(replica).TOKEN_ISSUER).toBe(environment(replicas[0] ?? {}).TOKEN_ISSUER);
      expect(asRecord(asRecord(replica.depends_on, 'depends_on').redis, 'depends_on.redis').condition).toBe('service_healthy');
    }
  });

  it('mounts the key and callers secrets where the image looks for them', async () => {
    const env = await dockerfileEnv();
    const fileOf = (secret: string): string => asString(asRecord(secretFiles[secret], secret).file, `${secret}.file`);
    expect(fileOf('tokenvend_private_key')).toBe(path.join(repoRoot, 'secrets', 'private_key.pem'));
    expect(fileOf('tokenvend_callers')).toBe(path.join(repoRoot, 'secrets', 'callers.json'));
    for (const name of ['tokenvend-1', 'tokenvend-2']) {
      const paths = secretPaths(services[name] ?? {});
      const replicaEnv = { ...env, ...environment(services[name] ?? {}) };
      expect({ name, key: paths.get('tokenvend_private_key'), callers: paths.get('tokenvend_callers') }).toEqual({
        name,
        key: replicaEnv.PRIVATE_KEY_FILE,
        callers: replicaEnv.CALLERS_FILE,
      });
    }
    expect(env.PRIVATE_KEY_FILE).toBe('/run/secrets/tokenvend_private_key');
    expect(env.CALLERS_FILE).toBe('/run/secrets/tokenvend_callers');
  });

  it('has Prometheus scrape exactly the replicas and load the alerts from where prometheus.yml points', async () => {
    const prometheus = services.prometheus ?? {};
    const mounted = mounts(prometheus);
    const configMount = mounted.find((mount) => mount.source === path.join(repoRoot, 'prometheus', 'prometheus.yml'));
    expect(configMount?.target).toBe('/etc/prometheus/prometheus.yml');

    const config = asRecord(
      await parseYaml(await readFile(path.join(repoRoot, 'prometheus', 'prometheus.yml'), 'utf8')),
      'prometheus.yml',
    );
    const ruleFiles = asArray(config.rule_files, 'rule_files').map((file) => asString(file, 'rule file'));
    const ruleTargets = ruleFiles.map((file) => path.posix.resolve('/etc/prometheus', file));
    expect(ruleTargets).toEqual(['/etc/prometheus/alerts.yml']);
    expect(mounted).toContainEqual({ source: path.join(repoRoot, 'prometheus', 'alerts.yml'), target: ruleTargets[0] });

    const job = asArray(config.scrape_configs, 'scrape_configs')
      .map((item) => asRecord(item, 'scrape config'))
      .find((item) => item.job_name === 'tokenvend');
    const targets = asArray(job?.static_configs, 'static_configs').flatMap((group) =>
      asArray(asRecord(group, 'static config').targets, 'targets'),
    );
    const replicaAddresses = ['tokenvend-1', 'tokenvend-2'].map(
      (name) => `${name}:${environment(services[name] ?? {}).PORT ?? '8080'}`,
    );
    expect(targets).toEqual(replicaAddresses);
  });

  it('has Grafana mount its provisioning and the dashboard where the provider reads it', async () => {
    const mounted = mounts(services.grafana ?? {});
    const grafanaDir = path.join(repoRoot, 'grafana');
    expect(mounted).toContainEqual({
      source: path.join(grafanaDir, 'provisioning', 'datasources'),
      target: '/etc/grafana/provisioning/datasources',
    });
    expect(mounted).toContainEqual({
      source: path.join(grafanaDir, 'provisioning', 'dashboards'),
      target: '/etc/grafana/provisioning/dashboards',
    });

    const provider = asRecord(
      await parseYaml(await readFile(path.join(grafanaDir, 'provisioning', 'dashboards', 'tokenvend.yml'), 'utf8')),
      'dashboard provider',
    );
    const providerPath = asString(
      asRecord(asRecord(asArray(provider.providers, 'providers')[0], 'provider').options, 'options').path,
      'provider path',
    );
    const dashboardMount = mounted.find((mount) => mount.source === path.join(grafanaDir, 'dashboard.json'));
    expect(dashboardMount).toBeDefined();
    expect(path.posix.dirname(dashboardMount?.target ?? '')).toBe(providerPath);

    const datasources = asRecord(
      await parseYaml(await readFile(path.join(grafanaDir, 'provisioning', 'datasources', 'prometheus.yml'), 'utf8')),
      'datasource provisioning',
    );
    const datasource = asRecord(asArray(datasources.datasources, 'datasources')[0], 'datasource');
    expect(datasource.type).toBe('prometheus');
    expect(new URL(asString(datasource.url, 'datasource url')).hostname).toBe('prometheus');
    expect(services.grafana?.depends_on).toEqual({ prometheus: { condition: 'service_healthy' } });
  });
});
