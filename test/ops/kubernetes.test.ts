/**
 * deploy/kubernetes rendered with `kubectl kustomize` (base and production overlay): every object is
 * valid against the Kubernetes and prometheus-operator schemas (kubernetes-models), and the pieces fit
 * together: probes reach routes the app serves, mounted Secrets are where the env points, ports and
 * selectors agree, and the PrometheusRule is prometheus/alerts.yml, generated.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Service, ServiceAccount } from 'kubernetes-models/v1';
import request from 'supertest';
import { parse, parseAllDocuments } from 'yaml';
import { options } from '../../src/config/options.js';
import { buildApp, type TestApp } from '../support/build-app.js';
import { callersJson, testCaller } from '../support/callers.js';
import { p256Key } from '../support/keys.js';
import { describeWithPrograms } from '../support/outside-programs.js';
import { repoRoot, run } from './tools.js';

/** A rendered manifest, read field by field by the checks below. */
type Json = Record<string, any>;

/** Each kind the manifests may hold, with the model that validates it against its schema. */
const models: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1 Deployment': Deployment,
  'v1 Service': Service,
  'v1 ServiceAccount': ServiceAccount,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2 HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1 NetworkPolicy': NetworkPolicy,
  'monitoring.coreos.com/v1 ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1 PrometheusRule': PrometheusRule,
};

/** Variables of issue 16 that another change adds to src/config/options.ts (Redis Sentinel). */
const comingOptions = new Set(['REDIS_SENTINELS', 'REDIS_SENTINEL_NAME']);

/** The drain the service gives in-flight requests after SIGTERM (src/server/graceful-shutdown.ts). */
const DRAIN_SECONDS = 8;

const overlays = { base: 'deploy/kubernetes/base', production: 'deploy/kubernetes/overlays/production' } as const;

async function render(dir: string): Promise<Json[]> {
  const { stdout } = await run('kubectl', ['kustomize', dir]);
  return parseAllDocuments(stdout).map((doc) => doc.toJS() as Json);
}

function one(objects: Json[], kind: string): Json {
  const found = objects.filter((object) => object.kind === kind);
  expect({ kind, count: found.length }).toEqual({ kind, count: 1 });
  return found[0] as Json;
}

/** True when every label of `selector` is on `labels`. */
function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return Object.keys(selector ?? {}).length > 0 && Object.entries(selector ?? {}).every(([key, value]) => labels[key] === value);
}

function envOf(container: Json): Record<string, string> {
  return Object.fromEntries((container.env as Json[]).map((item) => [item.name as string, item.value as string]));
}

function portNumber(container: Json, port: string | number): number | undefined {
  if (typeof port === 'number') return port;
  return (container.ports as Json[]).find((item) => item.name === port)?.containerPort as number | undefined;
}

describe('the PrometheusRule', () => {
  it('is generated from prometheus/alerts.yml and up to date (npm run generate:k8s-rules)', async () => {
    const script = path.join(repoRoot, 'deploy', 'kubernetes', 'generate-prometheus-rule.mjs');
    await expect(promisify(execFile)(process.execPath, [script, '--check'], { cwd: repoRoot })).resolves.toBeDefined();
    const alerts = parse(await readFile(path.join(repoRoot, 'prometheus', 'alerts.yml'), 'utf8')) as Json;
    const rule = parse(await readFile(path.join(repoRoot, 'deploy', 'kubernetes', 'base', 'prometheus-rule.yaml'), 'utf8')) as Json;
    expect(rule.spec.groups).toEqual(alerts.groups);
  });
});

describeWithPrograms(['kubectl'], 'deploy/kubernetes rendered by kubectl kustomize', () => {
  const rendered: Record<string, Json[]> = {};
  let app: TestApp;

  beforeAll(async () => {
    for (const [name, dir] of Object.entries(overlays)) rendered[name] = await render(dir);
    const caller = testCaller('web-backend');
    app = await buildApp({ NODE_ENV: 'production', PRIVATE_KEY: p256Key().pkcs8, CALLERS: callersJson(caller) });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
  });

  describe.each(Object.keys(overlays))('%s', (overlay) => {
    const objects = (): Json[] => rendered[overlay] ?? [];
    const deployment = (): Json => one(objects(), 'Deployment');
    const pod = (): Json => deployment().spec.template;
    const container = (): Json => (pod().spec.containers as Json[])[0] as Json;

    it('holds only known kinds, each valid against its schema, and no Secret', () => {
      const problems: string[] = [];
      for (const object of objects()) {
        const key = `${String(object.apiVersion)} ${String(object.kind)}`;
        const Model = models[key];
        if (!Model) {
          problems.push(`${key}: no schema known`);
          continue;
        }
        try {
          new Model(object as never).validate();
        } catch (error) {
          problems.push(`${key} ${String(object.metadata?.name)}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      expect(problems).toEqual([]);
      expect(Object.keys(models).map((key) => key.split(' ')[1]).sort()).toEqual(objects().map((object) => object.kind).sort());
    });

    it('runs at least two replicas, one per node, scaled on CPU by the HPA', () => {
      const hpa = one(objects(), 'HorizontalPodAutoscaler');
      expect(deployment().spec.replicas).toBeUndefined();
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment().metadata.name });
      expect(hpa.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: expect.any(Number) } } }]);
      const byNode = (pod().spec.topologySpreadConstraints as Json[]).filter((item) => item.topologyKey === 'kubernetes.io/hostname');
      expect(byNode).toHaveLength(1);
      expect(byNode[0]).toMatchObject({ maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' });
      expect(selects(byNode[0]?.labelSelector.matchLabels, pod().metadata.labels)).toBe(true);
      const pdb = one(objects(), 'PodDisruptionBudget');
      expect(selects(pdb.spec.selector.matchLabels, pod().metadata.labels)).toBe(true);
      // The budget never blocks every drain, and never allows all replicas down at once.
      const allowedDown = pdb.spec.maxUnavailable ?? hpa.spec.minReplicas - pdb.spec.minAvailable;
      expect(allowedDown).toBeGreaterThanOrEqual(1);
      expect(allowedDown).toBeLessThan(hpa.spec.minReplicas);
      expect(deployment().spec.strategy.rollingUpdate).toEqual({ maxUnavailable: 0, maxSurge: 1 });
    });

    it('runs as uid 1000, non-root, on a read-only root filesystem, with no service-account token and resources set', () => {
      const account = one(objects(), 'ServiceAccount');
      expect(pod().spec.serviceAccountName).toBe(account.metadata.name);
      expect(account.automountServiceAccountToken).toBe(false);
      expect(pod().spec.automountServiceAccountToken).toBe(false);
      expect(pod().spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 });
      expect(container().securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(container().resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
      expect(container().resources.limits.memory).toEqual(expect.any(String));
    });

    it('probes routes the app serves, on the port it listens on', async () => {
      const env = envOf(container());
      expect(container().livenessProbe.httpGet.path).toBe('/healthz');
      expect(container().readinessProbe.httpGet.path).toBe('/readyz');
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        const { path: route, port } = container()[probe].httpGet as Json;
        expect({ probe, port: portNumber(container(), port) }).toEqual({ probe, port: Number(env.PORT) });
        expect({ probe, status: (await request(app.app).get(route)).status }).toEqual({ probe, status: 200 });
      }
      expect(Number(env.PORT)).toBe(8080);
    });

    it('pauses before SIGTERM so the Service stops routing first, within the grace period', () => {
      expect(container().lifecycle.preStop.exec.command).toEqual(['sleep', expect.stringMatching(/^\d+$/)]);
      const pause = Number(container().lifecycle.preStop.exec.command[1]);
      expect(pause).toBeGreaterThanOrEqual(3);
      expect(pause + DRAIN_SECONDS).toBeLessThan(pod().spec.terminationGracePeriodSeconds);
    });

    it('mounts the key set and the callers from Secrets as directories where the env points, readable by group 1000 only', () => {
      const env = envOf(container());
      const mounts = container().volumeMounts as Json[];
      const volumes = pod().spec.volumes as Json[];
      const mounted = (file: string): Json => {
        const mount = mounts.find((item) => item.mountPath === path.posix.dirname(file));
        expect({ file, mount: mount?.name }).toEqual({ file, mount: expect.any(String) });
        // subPath mounts never see the kubelet's symlink swap: a Secret update would not reach the pod.
        expect(mount?.subPath).toBeUndefined();
        expect(mount?.readOnly).toBe(true);
        const volume = volumes.find((item) => item.name === mount?.name) as Json;
        expect(volume.secret.items).toEqual([{ key: path.posix.basename(file), path: path.posix.basename(file) }]);
        expect(volume.secret.defaultMode).toBe(0o440);
        return volume.secret;
      };
      expect(mounted(env.SIGNING_KEYS_FILE ?? '').secretName).toBe('tokenvend-signing-keys');
      expect(mounted(env.CALLERS_FILE ?? '').secretName).toBe('tokenvend-callers');
      expect(env.SIGNING_KEYS_FILE).toBe('/etc/tokenvend/keys/keys.json');
      expect(env.CALLERS_FILE).toBe('/etc/tokenvend/callers/callers.json');
      for (const excluded of ['PRIVATE_KEY', 'PRIVATE_KEY_FILE', 'CALLERS']) expect(env[excluded]).toBeUndefined();
      expect(mounts.filter((item) => item.mountPath !== '/tmp')).toHaveLength(2);
    });

    it('sets only documented variables: production mode, metrics on 9464, an https issuer, one Redis', () => {
      const env = envOf(container());
      const unknown = Object.keys(env).filter((name) => !(name in options) && !comingOptions.has(name));
      expect(unknown).toEqual([]);
      expect(env.NODE_ENV).toBe('production');
      expect(env.METRICS_PORT).toBe('9464');
      expect(portNumber(container(), 'metrics')).toBe(9464);
      expect(portNumber(container(), 'http')).toBe(8080);
      expect(env.TOKEN_ISSUER).toMatch(/^https:\/\//);
      expect(env.PUBLIC_URL).toMatch(/^https:\/\//);
      const redis = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'].filter((name) => name in env);
      expect(redis).toHaveLength(1);
      if (overlay === 'production') {
        expect(redis).toEqual(['REDIS_SENTINELS']);
        expect(env.REDIS_SENTINEL_NAME).toMatch(/\S/);
        for (const address of (env.REDIS_SENTINELS ?? '').split(',')) expect(address).toMatch(/^[a-z0-9.-]+:\d+$/);
      }
    });

    it('has a Service on the pods\' ports named job "tokenvend" for the alerts, and a ServiceMonitor on its metrics port', () => {
      const service = one(objects(), 'Service');
      expect(service.metadata.name).toBe('tokenvend');
      expect(selects(service.spec.selector, pod().metadata.labels)).toBe(true);
      for (const port of service.spec.ports as Json[]) {
        expect({ port: port.name, target: portNumber(container(), port.targetPort) }).toEqual({ port: port.name, target: expect.any(Number) });
      }
      const monitor = one(objects(), 'ServiceMonitor');
      expect(selects(monitor.spec.selector.matchLabels, service.metadata.labels)).toBe(true);
      expect(monitor.spec.endpoints).toHaveLength(1);
      const endpoint = monitor.spec.endpoints[0] as Json;
      expect(endpoint.path).toBe('/metrics');
      const servicePort = (service.spec.ports as Json[]).find((port) => port.name === endpoint.port) as Json;
      expect(portNumber(container(), servicePort.targetPort)).toBe(9464);
    });

    it('lets the token port in from labelled caller namespaces and the metrics port from Prometheus only', () => {
      const policy = one(objects(), 'NetworkPolicy');
      expect(selects(policy.spec.podSelector.matchLabels, pod().metadata.labels)).toBe(true);
      expect(policy.spec.policyTypes).toEqual(['Ingress']);
      const rules = policy.spec.ingress as Json[];
      const reaching = (port: number): Json[] => rules.filter((rule) => (rule.ports as Json[]).some((item) => portNumber(container(), item.port) === port));
      expect(reaching(8080)).toEqual([{ from: [{ namespaceSelector: { matchLabels: { 'tokenvend.io/caller': 'true' } } }], ports: [{ port: 'http', protocol: 'TCP' }] }]);
      const metrics = reaching(9464);
      expect(metrics).toHaveLength(1);
      expect(metrics[0]?.ports).toEqual([{ port: 'metrics', protocol: 'TCP' }]);
      for (const peer of metrics[0]?.from as Json[]) {
        expect(peer.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'prometheus' });
        expect(peer.namespaceSelector.matchLabels).toEqual(expect.any(Object));
      }
      expect(rules).toHaveLength(2);
    });

    it('ships the PrometheusRule generated from prometheus/alerts.yml', async () => {
      const alerts = parse(await readFile(path.join(repoRoot, 'prometheus', 'alerts.yml'), 'utf8')) as Json;
      expect(one(objects(), 'PrometheusRule').spec.groups).toEqual(alerts.groups);
    });
  });

  it('production runs the released image in its own namespace, with more replicas than the base', () => {
    const production = rendered.production ?? [];
    expect(new Set(production.map((object) => object.metadata.namespace))).toEqual(new Set(['tokenvend']));
    const image = (one(production, 'Deployment').spec.template.spec.containers as Json[])[0]?.image as string;
    expect(image).toMatch(/^[a-z0-9.-]+\/tokenvend:\d+\.\d+\.\d+$/);
    expect(one(production, 'HorizontalPodAutoscaler').spec.minReplicas).toBeGreaterThan(one(rendered.base ?? [], 'HorizontalPodAutoscaler').spec.minReplicas);
  });
});
