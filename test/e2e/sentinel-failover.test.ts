/**
 * Two tokenvend processes on a Sentinel-managed Redis (one master, two replicas, three sentinels)
 * through a `SENTINEL FAILOVER` under a steady load: limits stay shared before and after, fail-open
 * serves every request, fail-closed refuses only during the failover window, which is measured.
 */
import { startService, type RunningService } from '../support/spawn-service.js';
import { callersJson, testCaller } from '../support/callers.js';
import { p256Key } from '../support/keys.js';
import { missingRedisProgram, redisCli, startSentinelTopology, type SentinelTopology } from '../support/redis-topology.js';
import { sleep, until } from '../support/wait.js';

const missing = missingRedisProgram(['redis-server', 'redis-sentinel', 'redis-cli']);
const describeWithSentinel = missing === undefined ? describe : describe.skip;
if (missing !== undefined) console.warn(`skipped the Redis Sentinel failover tests: ${missing}`);

const LIMIT = 10;
const steady = testCaller('steady', { rateLimitPerMinute: 1_000_000 });
const before = testCaller('limited-before', { rateLimitPerMinute: LIMIT });
const after = testCaller('limited-after', { rateLimitPerMinute: LIMIT });

interface Sample {
  /** Milliseconds since the failover was asked for (negative: before). */
  readonly at: number;
  readonly status: number;
  /** False when the answer was served without the store (fail-open): the RateLimit header is missing. */
  readonly counted: boolean;
}

function mint(service: RunningService, key: string): Promise<Response> {
  return fetch(`${service.baseUrl}/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: '{"orgId":"org_a"}',
    signal: AbortSignal.timeout(10_000),
  });
}

/** Two workers per process, each a request every 20 ms or so: about 100 requests/s in all, until stopped (30 s at most). */
function steadyLoad(services: readonly RunningService[], origin: () => number) {
  const samples: Sample[] = [];
  let running = true;
  const deadline = Date.now() + 30_000;
  const worker = async (service: RunningService) => {
    while (running && Date.now() < deadline) {
      const res = await mint(service, steady.key).catch(() => undefined);
      await res?.arrayBuffer();
      samples.push({ at: Date.now() - origin(), status: res?.status ?? 0, counted: res?.headers.has('ratelimit') ?? false });
      await sleep(20);
    }
  };
  const done = Promise.all(services.flatMap((service) => [worker(service), worker(service)]));
  return {
    samples,
    async stop() {
      running = false;
      await done;
    },
  };
}

/** 40 requests at once, split between the processes, for a caller allowed LIMIT a minute. */
async function burst(services: readonly RunningService[], key: string): Promise<number[]> {
  const responses = await Promise.all(Array.from({ length: 40 }, (_, index) => mint(services[index % services.length] as RunningService, key)));
  return responses.map((res) => res.status);
}

const storeReady = (service: RunningService) =>
  until(async () => ((await (await fetch(`${service.baseUrl}/readyz`)).json()) as { checks?: { rateLimitStore?: string } }).checks?.rateLimitStore === 'ok', 20_000, 'store ready');

describeWithSentinel(`two processes through a Sentinel failover${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let topology: SentinelTopology | undefined;
  const services: RunningService[] = [];
  afterEach(async () => {
    await Promise.all(services.splice(0).map((service) => service.stop('SIGKILL')));
    await topology?.stop();
    topology = undefined;
  });

  async function failoverUnderLoad(failOpen: boolean) {
    topology = await startSentinelTopology();
    const env = {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PRIVATE_KEY: p256Key().pkcs8,
      CALLERS: callersJson(steady, before, after),
      REDIS_SENTINELS: topology.sentinels,
      REDIS_SENTINEL_NAME: topology.masterName,
      RATE_LIMIT_FAIL_OPEN: String(failOpen),
    };
    services.push(...(await Promise.all([startService(env, 20_000), startService(env, 20_000)])));
    await Promise.all(services.map(storeReady));

    // Shared and exact before: 10 of 40 across both processes.
    const limitedBefore = await burst(services, before.key);
    expect(limitedBefore.filter((status) => status === 201)).toHaveLength(LIMIT);
    expect(limitedBefore.filter((status) => status !== 201 && status !== 429)).toEqual([]);

    const oldMaster = topology.masterPort();
    let origin = Date.now() + 1_000_000;
    const load = steadyLoad(services, () => origin);
    await sleep(1000);
    origin = Date.now();
    redisCli(topology.sentinelPorts[0] as number, 'SENTINEL', 'FAILOVER', topology.masterName);
    await until(() => topology?.masterPort() !== oldMaster, 20_000, 'a new master');
    const switchedAt = Date.now() - origin;
    // Served and counted again by both processes, then a further 2 s of load.
    await until(() => load.samples.filter((s) => s.at > switchedAt && s.status === 201 && s.counted).length >= 20, 20_000, 'counted again after the failover');
    await sleep(2000);
    await load.stop();

    // Both processes serve and count again (on a loaded CI machine a reconnect may still be under way).
    await Promise.all(services.map(storeReady));
    await until(async () => (await Promise.all(services.map((service) => mint(service, steady.key)))).every((res) => res.status === 201 && res.headers.get('ratelimit') !== null), 20_000, 'both processes counting');
    // Shared and exact after, on the new master.
    const limitedAfter = await burst(services, after.key);
    expect(limitedAfter.filter((status) => status === 201)).toHaveLength(LIMIT);

    const failed = load.samples.filter((s) => s.status !== 201);
    const uncounted = load.samples.filter((s) => s.status === 201 && !s.counted);
    const affected = [...failed, ...uncounted].map((s) => s.at);
    const window = affected.length === 0 ? { from: 0, to: 0 } : { from: Math.min(...affected), to: Math.max(...affected) };
    const report = {
      failOpen,
      requests: load.samples.length,
      before: load.samples.filter((s) => s.at < 0).length,
      newMasterSeenAtMs: switchedAt,
      statuses: load.samples.reduce<Record<string, number>>((count, s) => ({ ...count, [s.status]: (count[s.status] ?? 0) + 1 }), {}),
      servedUncounted: uncounted.length,
      windowMs: window,
    };
    console.log(`sentinel failover: ${JSON.stringify(report)}`);
    return { samples: load.samples, window, report };
  }

  it('fail-open: zero 5xx through the failover, limits shared before and after', async () => {
    const { samples, window } = await failoverUnderLoad(true);
    expect(samples.filter((s) => s.status >= 500 || s.status === 0)).toEqual([]);
    expect(samples.every((s) => s.status === 201)).toBe(true);
    // Whatever was served without the store was served during the failover, not before it.
    expect(window.from).toBeGreaterThanOrEqual(0);
    expect(samples.filter((s) => s.at < 0).every((s) => s.counted)).toBe(true);
  }, 120_000);

  it('fail-closed: 503 only during the failover window, limits shared before and after', async () => {
    const { samples, window } = await failoverUnderLoad(false);
    expect(samples.filter((s) => s.status !== 201 && s.status !== 503)).toEqual([]);
    const refused = samples.filter((s) => s.status === 503);
    expect(refused.every((s) => s.at >= 0 && s.at <= window.to)).toBe(true);
    expect(samples.filter((s) => s.at < 0).every((s) => s.status === 201)).toBe(true);
    // After the window, everything is served and counted again.
    expect(samples.filter((s) => s.at > window.to).every((s) => s.status === 201 && s.counted)).toBe(true);
    expect(window.to).toBeLessThan(15_000);
  }, 120_000);
});
