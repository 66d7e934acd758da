/** The shared state on a three-master Redis Cluster: limits shared between two replicas, exact under a burst, keys spread over the nodes. */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { buildApp, type TestApp } from '../support/build-app.js';
import { callersJson, testCaller, unregisteredKey } from '../support/callers.js';
import { p256Key } from '../support/keys.js';
import { missingRedisProgram, redisCli, startRedisCluster, type RedisClusterTopology } from '../support/redis-topology.js';
import { until } from '../support/wait.js';

const missing = missingRedisProgram(['redis-server', 'redis-cli']);
const describeWithCluster = missing === undefined ? describe : describe.skip;
if (missing !== undefined) console.warn(`skipped the Redis Cluster tests: ${missing}`);

const callers = Array.from({ length: 8 }, (_, index) => testCaller(`backend-${index}`));
const env = (nodes: string, extra: Record<string, string> = {}) => ({
  NODE_ENV: 'production',
  PRIVATE_KEY: p256Key().pkcs8,
  CALLERS: callersJson(...callers),
  REDIS_CLUSTER_NODES: nodes,
  ...extra,
});
const mint = (t: TestApp, key = (callers[0] as { key: string }).key) => request(t.app).post('/tokens').set('Authorization', `Bearer ${key}`).send({ orgId: 'org_a' });
const ready = (t: TestApp) => until(async () => (await request(t.app).get('/readyz')).body.checks?.rateLimitStore === 'ok', 15_000, 'cluster ready');

describeWithCluster(`shared state on a Redis Cluster${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let cluster: RedisClusterTopology;
  const apps: TestApp[] = [];
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const pair = async (extra: Record<string, string>) => {
    const prefix = `test:${randomUUID()}:`;
    const built = await Promise.all([1, 2].map(() => buildApp(env(cluster.nodes, extra), { redisPrefix: prefix })));
    apps.push(...built);
    await Promise.all(built.map(ready));
    return built as [TestApp, TestApp];
  };

  it('two replicas enforce one per-caller limit together, exactly, under a concurrent burst', async () => {
    const [a, b] = await pair({ RATE_LIMIT_PER_MINUTE: '10' });
    const burst = await Promise.all(Array.from({ length: 40 }, (_, index) => mint(index % 2 === 0 ? a : b)));
    const statuses = burst.map((res) => res.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(30);
  });

  it('two replicas share the failed-authentication limit (wrong keys only: a registered key is served)', async () => {
    const [a, b] = await pair({ AUTH_FAILURE_LIMIT_PER_MINUTE: '2' });
    await mint(a, 'tv_guess1').expect(401);
    await mint(b, unregisteredKey()).expect(401);
    await mint(a, unregisteredKey()).expect(429);
    await mint(b, 'tv_guess3').expect(429);
    await mint(a).expect(201);
  });

  it("spreads the callers' counters over the masters, each key on the node its slot belongs to", async () => {
    const [a] = await pair({});
    for (const caller of callers) await mint(a, caller.key).expect(201);
    const keysPerNode = cluster.ports.map((port) => Number(redisCli(port, 'DBSIZE').trim()));
    expect(keysPerNode.filter((count) => count > 0).length).toBeGreaterThan(1);
  });

  it('sets a one-time value once across the cluster (setIfAbsent)', async () => {
    const [a, b] = await pair({});
    const key = `test:${randomUUID()}:jti`;
    await expect(a.stores.redis?.setIfAbsent(key, 60_000)).resolves.toBe(true);
    await expect(b.stores.redis?.setIfAbsent(key, 60_000)).resolves.toBe(false);
  });
});
