/** METRICS_PORT moves GET /metrics to its own listener: served there, gone from the main port, and both close on SIGTERM. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { callersJson, testCaller } from '../support/callers.js';
import { p256Key } from '../support/keys.js';
import { startService, type RunningService } from '../support/spawn-service.js';

const caller = testCaller('web-backend', { orgs: ['org_a'] });

function get(url: string): Promise<Response> {
  return fetch(url, { signal: AbortSignal.timeout(5000) });
}

/** Resolves with the error code of a connection attempt, or 'connected'. */
async function connectOutcome(url: string): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return 'connected';
  } catch (error) {
    return String((error as { cause?: { code?: unknown } }).cause?.code ?? (error as Error).message);
  }
}

describe('METRICS_PORT', () => {
  let service: RunningService;
  let metricsUrl: string;

  beforeAll(async () => {
    service = await startService({ NODE_ENV: 'production', HOST: '127.0.0.1', METRICS_PORT: '0', PRIVATE_KEY: p256Key().pkcs8, CALLERS: callersJson(caller) });
    const listening = service.logs().find((line) => line.event === 'listening');
    metricsUrl = `http://127.0.0.1:${String(listening?.metricsPort)}`;
  });

  afterAll(async () => {
    // Normally already stopped by the last test; this covers a failure before it.
    await service?.stop();
  });

  it('logs the metrics port beside the main port', () => {
    const listening = service.logs().find((line) => line.event === 'listening');
    expect(listening).toMatchObject({ port: service.port, address: '127.0.0.1', metricsPort: expect.any(Number) });
    expect(listening?.metricsPort).not.toBe(0);
    expect(listening?.metricsPort).not.toBe(service.port);
  });

  it('keeps the main-port routes and moves /metrics off the main port', async () => {
    const minted = await fetch(`${service.baseUrl}/tokens`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${caller.key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ orgId: 'org_a' }),
      signal: AbortSignal.timeout(5000),
    });
    expect(minted.status).toBe(201);
    expect(await minted.json()).toMatchObject({ orgId: 'org_a', tokenType: 'Bearer' });
    expect((await get(`${service.baseUrl}/healthz`)).status).toBe(200);
    expect((await get(`${service.baseUrl}/readyz`)).status).toBe(200);
    const jwks = await get(`${service.baseUrl}/.well-known/jwks.json`);
    expect(jwks.status).toBe(200);
    expect(((await jwks.json()) as { keys: unknown[] }).keys).toHaveLength(1);

    const metrics = await get(`${service.baseUrl}/metrics`);
    expect(metrics.status).toBe(404);
    expect(metrics.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await metrics.json()).toEqual({
      type: 'urn:tokenvend:problem:not-found',
      title: 'Not found',
      status: 404,
      detail: 'No such route',
      code: 'ERR_TOKENVEND_NOT_FOUND',
      instance: '/metrics',
    });
  });

  it('serves the registry on the metrics port, including what the main port did', async () => {
    const response = await get(`${metricsUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = await response.text();
    expect(body).toContain('# TYPE tokenvend_tokens_issued_total counter');
    expect(body).toContain('tokenvend_tokens_issued_total{caller="web-backend",alg="ES256",tag="none"} 1\n');
    expect(body).toContain('tokenvend_signing_key_info{kid=');
    expect(body).toMatch(/^tokenvend_http_request_duration_seconds_count\{method="POST",route="\/tokens",status_code="201"\} 1$/m);
  });

  it('serves nothing else on the metrics port', async () => {
    for (const path of ['/healthz', '/.well-known/jwks.json', '/']) {
      const response = await get(`${metricsUrl}${path}`);
      expect({ path, status: response.status, type: response.headers.get('content-type') }).toEqual({ path, status: 404, type: expect.stringMatching(/^application\/problem\+json/) });
      await response.body?.cancel();
    }
  });

  it('SIGTERM closes both listeners and exits 0', async () => {
    expect(await service.stop('SIGTERM')).toBe(0);
    expect(service.logs().map((line) => line.event)).toContain('stopped');
    expect(await connectOutcome(`${service.baseUrl}/healthz`)).toBe('ECONNREFUSED');
    expect(await connectOutcome(`${metricsUrl}/metrics`)).toBe('ECONNREFUSED');
  });
});

describe('/metrics on the main port in production', () => {
  const production = () => ({ NODE_ENV: 'production', HOST: '127.0.0.1', PRIVATE_KEY: p256Key().pkcs8, CALLERS: callersJson(caller) });

  it('is not served there unless METRICS_ON_MAIN_PORT=true, and start-up warns that it is served nowhere', async () => {
    const service = await startService(production());
    try {
      const response = await get(`${service.baseUrl}/metrics`);
      expect(response.status).toBe(404);
      await response.body?.cancel();
      expect(service.logs().filter((line) => line.event === 'metrics.not_served')).toMatchObject([{ level: 'warn' }]);
    } finally {
      await service.stop();
    }
  });

  it('is served there with METRICS_ON_MAIN_PORT=true, without the warning', async () => {
    const service = await startService({ ...production(), METRICS_ON_MAIN_PORT: 'true' });
    try {
      const response = await get(`${service.baseUrl}/metrics`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('tokenvend_');
      expect(service.logs().filter((line) => line.event === 'metrics.not_served')).toEqual([]);
    } finally {
      await service.stop();
    }
  });
});
