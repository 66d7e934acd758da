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

/** Instructions of the Dockerfile's last stage (which is what runs), continuation lines joined, comments dropped. */
async function runtimeStage(): Promise<string[]> {
  const text = (await readFile(path.join(repoRoot, 'Dockerfile'), 'utf8')).replace(/\\\r?\n/g, ' ');
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  const lastStage = lines.map((line) => /^FROM\s/i.test(line)).lastIndexOf(true);
  return lines.slice(lastStage);
}

/** ENV settings of the Dockerfile's last stage. */
async function dockerfileEnv(): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const line of await runtimeStage()) {
    const match = /^ENV\s+(.*)$/i.exec(line);
    if (!match?.[1]) continue;
    for (const pair of match[1].trim().split(/\s+/)) {
      const [key = '', value = ''] = pair.split(/=(.*)/s);
      env[key] = value;
    }
  }
  return env;
}

/** Host addresses (`http://host:port`) published for a service's container port. */
function published(service: Record<string, unknown>, containerPort: string): string[] {
  return asArray(service.ports, 'ports').flatMap((port) => {
    if (typeof port === 'string') {
      // docker-compose 1.x: [host_ip:]host_port:container_port[/proto]
      const parts = port.replace(/\/tcp$/, '').split(':');
      const [target = '', hostPort = '', hostIp = '0.0.0.0'] = [...parts].reverse();
      return target === containerPort ? [`http://${hostIp}:${hostPort}`] : [];
    }
    const long = asRecord(port, 'port');
    return String(long.target) === containerPort ? [`http://${String(long.host_ip ?? '0.0.0.0')}:${String(long.published)}`] : [];
  });
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

  it('mounts the key and callers secrets where the replicas\' environment points', () => {
    const fileOf = (secret: string): string => asString(asRecord(secretFiles[secret], secret).file, `${secret}.file`);
    expect(fileOf('tokenvend_private_key')).toBe(path.join(repoRoot, 'secrets', 'private_key.pem'));
    expect(fileOf('tokenvend_callers')).toBe(path.join(repoRoot, 'secrets', 'callers.json'));
    for (const name of ['tokenvend-1', 'tokenvend-2']) {
      const paths = secretPaths(services[name] ?? {});
      const replicaEnv = environment(services[name] ?? {});
      expect({ name, key: paths.get('tokenvend_private_key'), callers: paths.get('tokenvend_callers') }).toEqual({
        name,
        key: replicaEnv.PRIVATE_KEY_FILE,
        callers: replicaEnv.CALLERS_FILE,
      });
      expect(replicaEnv.SIGNING_KEYS_FILE).toBeUndefined();
    }
  });

  it('builds an image on the current Node LTS that leaves the key and callers paths to the deployment and serves metrics on 9464', async () => {
    const stage = await runtimeStage();
    const env = await dockerfileEnv();
    // PRIVATE_KEY_FILE and SIGNING_KEYS_FILE exclude each other: a default in the image would break a key-set deployment.
    expect(Object.keys(env).filter((key) => /^(PRIVATE_KEY|SIGNING_KEYS|CALLERS)(_FILE)?$/.test(key))).toEqual([]);
    expect(env).toMatchObject({ NODE_ENV: 'production', PORT: '8080', METRICS_PORT: '9464' });
    expect(stage.find((line) => /^EXPOSE\s/i.test(line))?.split(/\s+/).slice(1).sort()).toEqual(['8080', '9464']);
    const bases = (await readFile(path.join(repoRoot, 'Dockerfile'), 'utf8')).match(/^FROM\s+\S+/gim) ?? [];
    // Node 20 reached end of life in April 2026; 26 is the Active LTS line since October 2026.
    expect(bases.map((line) => line.split(/\s+/)[1])).toEqual(['node:26-trixie-slim', 'node:26-trixie-slim']);
    expect(stage).toContain('USER node');
  });

  it('issues tokens whose issuer and discovery point at an address the stack publishes to this host', () => {
    for (const name of ['tokenvend-1', 'tokenvend-2']) {
      const env = environment(services[name] ?? {});
      const addresses = ['tokenvend-1', 'tokenvend-2'].flatMap((replica) => published(services[replica] ?? {}, env.PORT ?? '8080'));
      expect({ name, issuer: env.TOKEN_ISSUER, publicUrl: env.PUBLIC_URL }).toEqual({
        name,
        issuer: expect.stringMatching(/^http/),
        publicUrl: env.TOKEN_ISSUER,
      });
      expect(addresses).toContain(env.PUBLIC_URL);
      expect(env.METRICS_PORT).toBe('9464');
      expect(asArray(services[name]?.expose, 'expose').map(String)).toEqual(['9464']);
      // The metrics port is for Prometheus on the compose network, not published to the host.
      expect(published(services[name] ?? {}, '9464')).toEqual([]);
    }
  });

  it('documents secret files owned by uid 1000 with mode 0400, and none of the stale comments', async () => {
    const compose = await readFile(path.join(repoRoot, 'docker-compose.yml'), 'utf8');
    const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
    for (const text of [compose, readme]) {
      expect(text).toContain('chown 1000');
      expect(text).toContain('chmod 0400');
      // Told as a warning elsewhere in the README, never as the step to take.
      expect(text).not.toMatch(/chmod 644 secrets|until that CLI exists/);
    }
    expect(compose).not.toMatch(/until then/);
    expect(readme).toMatch(/Grafana[^.]*default admin password/i);
    expect(readme).toMatch(/anonymous/i);
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
      (name) => `${name}:${environment(services[name] ?? {}).METRICS_PORT ?? environment(services[name] ?? {}).PORT ?? '8080'}`,
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
