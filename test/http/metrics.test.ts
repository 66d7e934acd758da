import request from 'supertest';
import { createMetrics } from '../../src/metrics/metrics.js';
import { buildApp, type TestApp } from '../support/build-app.js';
import { callersJson, testCaller } from '../support/callers.js';
import { p256Key } from '../support/keys.js';

const web = testCaller('web-backend');
const narrow = testCaller('billing', { orgs: ['org_a'] });

describe('GET /metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildApp({ NODE_ENV: 'production', PRIVATE_KEY: p256Key().pkcs8, CALLERS: callersJson(web, narrow), RATE_LIMIT_PER_MINUTE: '5' });
    const mint = (key: string, body: object) => request(t.app).post('/tokens').set('Authorization', `Bearer ${key}`).send(body);
    await mint(web.key, { orgId: 'org_secret_name' }).expect(201);
    await mint(web.key, { orgId: 'org_a' }).expect(201);
    await mint(narrow.key, { orgId: 'org_a' }).expect(201);
    await mint(narrow.key, { orgId: 'org_b' }).expect(403);
    await mint('tv_not-a-key', { orgId: 'org_a' }).expect(401);
    await mint(web.key, { orgId: '' }).expect(400);
    for (let i = 0; i < 2; i += 1) await mint(web.key, { orgId: 'org_a' }).expect(201);
    await mint(web.key, { orgId: 'org_a' }).expect(429);
    await request(t.app).get('/wp-admin/../etc/passwd?x=1').expect(404);
    await request(t.app).get('/some/random/path').expect(404);
  });
  afterAll(() => t.close());

  const scrape = async () => {
    const res = await request(t.app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    return res.text;
  };

  it('counts issued tokens by caller, algorithm and tag', async () => {
    const text = await scrape();
    expect(text).toContain('tokenvend_tokens_issued_total{caller="web-backend",alg="ES256",tag="none"} 4');
    expect(text).toContain('tokenvend_tokens_issued_total{caller="billing",alg="ES256",tag="none"} 1');
  });

  it('counts rejections by reason, every reason present from the start', async () => {
    const text = await scrape();
    for (const [reason, count] of [['unauthenticated', 1], ['forbidden', 1], ['invalid_request', 1], ['rate_limited', 1], ['unavailable', 0]] as const) {
      expect(text).toContain(`tokenvend_token_requests_rejected_total{reason="${reason}"} ${count}`);
    }
  });

  it('times signing by algorithm with buckets from tens of microseconds to tens of milliseconds', async () => {
    const text = await scrape();
    expect(text).toContain('tokenvend_token_sign_duration_seconds_count{alg="ES256"} 5');
    expect(text).toContain('tokenvend_token_sign_duration_seconds_bucket{le="0.00002",alg="ES256"}');
    expect(text).toContain('tokenvend_token_sign_duration_seconds_bucket{le="0.05",alg="ES256"}');
  });

  it('labels HTTP durations by route template; unmatched paths share one value', async () => {
    const text = await scrape();
    expect(text).toContain('tokenvend_http_request_duration_seconds_count{method="POST",route="/tokens",status_code="201"} 5');
    expect(text).toContain('tokenvend_http_request_duration_seconds_count{method="POST",route="/tokens",status_code="429"} 1');
    expect(text).toContain('tokenvend_http_request_duration_seconds_count{method="GET",route="unmatched",status_code="404"} 2');
    expect(text).not.toContain('passwd');
    expect(text).not.toContain('/some/random/path');
  });

  it('shows the active signing key, store errors and reload failures', async () => {
    const text = await scrape();
    expect(text).toContain(`tokenvend_signing_key_info{kid="${t.keyRing.active?.kid}",alg="ES256"} 1`);
    expect(text).toContain('tokenvend_rate_limit_store_errors_total 0');
    expect(text).toContain('tokenvend_key_reload_failures_total 0');
  });

  it('never carries an orgId, a key or a token', async () => {
    const text = await scrape();
    expect(text).not.toContain('org_secret_name');
    expect(text).not.toContain(web.key);
    expect(text).not.toContain('tv_not-a-key');
    expect(text).not.toContain('eyJ');
  });

  it('includes Node\'s default metrics under their standard names in the service registry', async () => {
    const text = await createMetrics().registry.metrics();
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
  });
});
