/**
 * Every metric the service exports, defined in one place. The names are a contract with dashboards
 * and alerts (prometheus/alerts.yml, grafana/dashboard.json): never rename one.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RejectionReason, TokenTagLabel } from '../logging/audit-log.js';

export const REJECTION_REASONS: readonly RejectionReason[] = ['unauthenticated', 'forbidden', 'invalid_request', 'rate_limited', 'unavailable'];

/**
 * Signing takes tens of microseconds (HMAC, EC) to a few milliseconds (RSA). What is observed is the
 * time from asking for a signature to having it, so it includes the wait for its batch and the trip
 * to the signing thread (EC, EdDSA, HMAC) or for a thread-pool slot (RSA); the top buckets catch a
 * starved event loop, thread or pool.
 */
const SIGN_BUCKETS = [0.00002, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];
const HTTP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export interface Metrics {
  readonly registry: Registry;
  tokenIssued(callerId: string, alg: string, tag: TokenTagLabel): void;
  signDuration(alg: string, seconds: number): void;
  rejected(reason: RejectionReason): void;
  /** One client authentication at POST /oauth/token, by method and whether it succeeded. */
  clientAuthentication(method: string, result: 'success' | 'failure'): void;
  httpRequest(method: string, route: string, statusCode: number, seconds: number): void;
  storeError(): void;
  keyReloadFailed(): void;
  callersReloadFailed(): void;
  /** How many orgs have a key of their own (ORG_KEYS_FILE). */
  orgKeys(count: number): void;
  /** Marks the active key 1 and every other published key 0. */
  signingKeys(active: { kid: string | undefined; alg: string } | undefined, others: ReadonlyArray<{ kid: string | undefined; alg: string }>): void;
}

/**
 * Creates the registry and its metrics. Labelled children are bound once and cached, so the hot
 * path does one map lookup instead of hashing label sets on every observation.
 *
 * @example
 * const metrics = createMetrics();
 * metrics.tokenIssued('web-backend', 'ES256', 'none');
 */
export function createMetrics({ defaultMetrics = true }: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (defaultMetrics) {
    collectDefaultMetrics({ register: registry });
    // prom-client names these gauges "_total", which only counters may end in: `promtool check metrics`
    // rejects the exposition for it (exit 3). The per-type gauges without the suffix carry the same
    // numbers: sum(nodejs_active_handles) is what nodejs_active_handles_total said.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  }

  const issued = new Counter({ name: 'tokenvend_tokens_issued_total', help: 'Tokens issued, by caller, signing algorithm and Vapi scope tag (none, private, public).', labelNames: ['caller', 'alg', 'tag'], registers: [registry] });
  const signing = new Histogram({ name: 'tokenvend_token_sign_duration_seconds', help: 'Time to sign one token, from asking for the signature to having it (includes waiting for its batch, the signing thread or a thread-pool slot).', labelNames: ['alg'], buckets: SIGN_BUCKETS, registers: [registry] });
  const rejections = new Counter({ name: 'tokenvend_token_requests_rejected_total', help: 'Token requests refused, by reason.', labelNames: ['reason'], registers: [registry] });
  const http = new Histogram({ name: 'tokenvend_http_request_duration_seconds', help: 'HTTP request duration by method, route template and status.', labelNames: ['method', 'route', 'status_code'], buckets: HTTP_BUCKETS, registers: [registry] });
  const storeErrors = new Counter({ name: 'tokenvend_rate_limit_store_errors_total', help: 'Errors and time-outs of the rate-limit store.', registers: [registry] });
  const keyInfo = new Gauge({ name: 'tokenvend_signing_key_info', help: 'Published signing keys: 1 for the key that signs, 0 for the others.', labelNames: ['kid', 'alg'], registers: [registry] });
  const reloadFailures = new Counter({ name: 'tokenvend_key_reload_failures_total', help: 'Reloads of SIGNING_KEYS_FILE or ORG_KEYS_FILE that were rejected.', registers: [registry] });
  const callersReloadFailures = new Counter({ name: 'tokenvend_callers_reload_failures_total', help: 'Reloads of CALLERS_FILE that were rejected.', registers: [registry] });
  const orgKeyCount = new Gauge({ name: 'tokenvend_org_keys', help: 'Orgs with a signing key of their own (ORG_KEYS_FILE).', registers: [registry] });
  const clientAuth = new Counter({ name: 'tokenvend_oauth_client_authentications_total', help: 'Client authentications at POST /oauth/token, by method (client_secret_basic, client_secret_post, private_key_jwt) and result.', labelNames: ['method', 'result'], registers: [registry] });

  // Every reason shows as 0 from the start, so rate() and alerts work before the first refusal.
  const byReason = new Map(REJECTION_REASONS.map((reason) => [reason, rejections.labels(reason)]));
  for (const child of byReason.values()) child.inc(0);
  const issuedChildren = new Map<string, ReturnType<typeof issued.labels>>();
  const signingChildren = new Map<string, ReturnType<typeof signing.labels>>();
  const httpChildren = new Map<string, ReturnType<typeof http.labels>>();
  const clientAuthChildren = new Map<string, ReturnType<typeof clientAuth.labels>>();

  return {
    registry,
    tokenIssued(callerId, alg, tag) {
      const key = `${callerId}\u0000${alg}\u0000${tag}`;
      let child = issuedChildren.get(key);
      if (!child) issuedChildren.set(key, (child = issued.labels(callerId, alg, tag)));
      child.inc();
    },
    signDuration(alg, seconds) {
      let child = signingChildren.get(alg);
      if (!child) signingChildren.set(alg, (child = signing.labels(alg)));
      child.observe(seconds);
    },
    rejected(reason) {
      byReason.get(reason)?.inc();
    },
    clientAuthentication(method, result) {
      const key = `${method}\u0000${result}`;
      let child = clientAuthChildren.get(key);
      if (!child) clientAuthChildren.set(key, (child = clientAuth.labels(method, result)));
      child.inc();
    },
    httpRequest(method, route, statusCode, seconds) {
      const key = `${method} ${route} ${statusCode}`;
      let child = httpChildren.get(key);
      if (!child) httpChildren.set(key, (child = http.labels(method, route, String(statusCode))));
      child.observe(seconds);
    },
    storeError() {
      storeErrors.inc();
    },
    keyReloadFailed() {
      reloadFailures.inc();
    },
    callersReloadFailed() {
      callersReloadFailures.inc();
    },
    orgKeys(count) {
      orgKeyCount.set(count);
    },
    signingKeys(active, others) {
      keyInfo.reset();
      for (const key of others) keyInfo.labels(key.kid ?? '', key.alg).set(0);
      if (active) keyInfo.labels(active.kid ?? '', active.alg).set(1);
    },
  };
}
