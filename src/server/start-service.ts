/** Assembles and starts the tokenvend process: configuration, keys, app, listeners, signals. */
import { once } from 'node:events';
import { writeSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCallerRegistry } from '../auth/caller-registry.js';
import { loadConfig, type Environment } from '../config/load-config.js';
import { createApp, type AppDependencies } from '../http/create-app.js';
import { createAppServer, DEFAULT_CONNECTION_LIMITS } from '../http/create-app-server.js';
import { createMetricsApp } from '../http/create-metrics-app.js';
import { createKeyRing } from '../keys/key-ring.js';
import { createCallersReloader } from '../auth/callers-reloader.js';
import type { ReloadingFile } from '../config/reloading-file.js';
import { createKeySetReloader, publishKeyInfo } from '../keys/key-set-reloader.js';
import { loadOrgKeys, loadSigningKeys } from '../keys/load-signing-keys.js';
import { createOrgKeysReloader } from '../keys/org-keys-reloader.js';
import { createLogger, stdoutDestination } from '../logging/create-logger.js';
import { createMetrics } from '../metrics/metrics.js';
import { createLimitStores } from '../rate-limit/create-limit-stores.js';
import { createDemoCaller, demoBanner } from './demo-mode.js';
import { connectionCapFor, openFileLimit } from './file-limit.js';
import { closeGracefully } from './graceful-shutdown.js';
import { createServiceAssertionThread } from './service-assertion-thread.js';
import { createServiceSigningThread } from './service-signing-thread.js';

async function listen(server: Server): Promise<AddressInfo> {
  if (!server.listening) await once(server, 'listening');
  return server.address() as AddressInfo;
}

/**
 * The log on stdout cannot be written (EPIPE: its reader has gone): stop at once, inside the log
 * call that failed, so that the token whose audit line was lost is never sent. A supervisor
 * restarts the process with a working stdout.
 */
function stopUnaudited(error: NodeJS.ErrnoException): never {
  try {
    writeSync(2, `tokenvend: cannot write the log to stdout (${error.code ?? error.name}); stopping, since tokens must not be issued unaudited\n`);
  } catch {
    // stderr may share stdout's broken pipe; the exit code still tells.
  }
  process.exit(1);
}

/** What a caller may swap in; only the bench does, to measure the service without limiter and metrics. */
export type ServiceOverrides = Pick<AppDependencies, 'metrics' | 'limits'>;

/**
 * Starts the service as configured by `env` and installs its signal handlers; resolves once it listens.
 * Throws a ConfigError for a misconfiguration.
 *
 * @example
 * await startService(process.env);
 */
export async function startService(env: Environment, overrides: ServiceOverrides = {}): Promise<void> {
  const config = loadConfig(env);
  const logDestination = stdoutDestination(stopUnaudited);
  const logger = createLogger(config.logLevel, logDestination);
  const signingThread = createServiceSigningThread(logger);
  // A thread that cannot start (a broken install) stops start-up, instead of failing every token.
  await signingThread?.start();
  const serviceKeys = await loadSigningKeys(config, { signingThread });
  const keyRing = createKeyRing(serviceKeys, await loadOrgKeys(config, serviceKeys, { signingThread }));
  const demo = config.demo ? createDemoCaller() : undefined;
  const callers = createCallerRegistry(config.callers ?? (demo ? [demo.caller] : []));
  const metrics = overrides.metrics ?? createMetrics();
  publishKeyInfo(keyRing, metrics);
  const reloaders: ReloadingFile[] = [
    ...(config.signingKeys ? [createKeySetReloader({ path: config.signingKeys.path, initialContent: config.signingKeys.content, keyRing, logger, metrics, signingThread })] : []),
    ...(config.orgKeys ? [createOrgKeysReloader({ path: config.orgKeys.path, initialContent: config.orgKeys.content, keyRing, logger, metrics, signingThread })] : []),
    ...(config.callersFile
      ? [createCallersReloader({ path: config.callersFile.path, initialContent: config.callersFile.content, registry: callers, audiences: config.tokens.audiences, logger, metrics })]
      : []),
  ];
  for (const reloader of reloaders) reloader.watch();
  // SIGHUP would end the process by default; here it reloads every watched file (and is harmless without one).
  process.on('SIGHUP', () => {
    if (reloaders.length === 0) logger.info({ event: 'reload_skipped' }, 'SIGHUP: no SIGNING_KEYS_FILE, ORG_KEYS_FILE or CALLERS_FILE to reload');
    for (const reloader of reloaders) void reloader.reload('SIGHUP');
  });
  const stores = createLimitStores({ redis: config.rateLimit.redis, failOpen: config.rateLimit.failOpen, timeoutMs: config.rateLimit.storeTimeoutMs, logger, metrics });

  const assertionThread = createServiceAssertionThread(logger);
  const host = config.host ?? '::';
  let stopping = false;
  const app = createApp({
    config,
    logger,
    logWritten: logDestination.written,
    keyRing,
    callers,
    metrics,
    stores,
    ...(overrides.limits && { limits: overrides.limits }),
    // Not ready while draining: a load balancer stops sending before the connections close.
    readinessChecks: [...stores.readiness, { name: 'accepting', check: () => (stopping ? 'down' : 'ok') }],
    serveMetrics: config.metricsOnMainPort,
    ...(assertionThread && { assertionThread }),
  });
  const fileLimit = openFileLimit();
  const maxConnections = connectionCapFor(config.maxConnections, fileLimit);
  const { sendTimeoutMs } = DEFAULT_CONNECTION_LIMITS;
  const serverOptions = {
    maxConnections,
    onConnectionShed: throttled(10_000, () => logger.warn({ event: 'connections.shed', maxConnections }, 'at the connection cap: closing the stalest connections not being answered')),
    // Nothing of the request or the answer is logged: the answer may be a token.
    onSendTimeout: throttled(10_000, () => logger.warn({ event: 'connections.send_timeout', sendTimeoutMs }, `closing connections whose clients took nothing of their answers for ${sendTimeoutMs / 1000} s`)),
  };
  const server = createAppServer(app, serverOptions).listen(config.port, host);
  const metricsServer = config.metricsPort === undefined ? undefined : createAppServer(createMetricsApp(metrics, logger), serverOptions).listen(config.metricsPort, host);
  const [{ port, address }, metricsAddress] = await Promise.all([listen(server), metricsServer && listen(metricsServer)]);
  const metricsPort = metricsAddress?.port;
  for (const listener of [server, metricsServer]) {
    // Once listening, the only errors are accept()'s (EMFILE under a flood the cap did not foresee): they must not end the process.
    listener?.on('error', (error: NodeJS.ErrnoException) => {
      logger.warn({ event: 'connections.accept_failed', code: error.code, syscall: error.syscall }, 'a connection could not be accepted');
    });
  }

  if (config.trustProxy === true && config.mode === 'production') {
    // Only with TRUST_PROXY_ALLOW_ALL=true (load-config.ts): "true" trusts the left-most X-Forwarded-For, which any client writes.
    logger.warn({ event: 'trust_proxy.all' }, 'TRUST_PROXY=true trusts every proxy (TRUST_PROXY_ALLOW_ALL=true); prefer a hop count or the proxies\' addresses');
  }
  if (config.mode === 'production' && metricsServer === undefined && !config.metricsOnMainPort) {
    logger.warn({ event: 'metrics.not_served' }, '/metrics is served nowhere: set METRICS_PORT (or METRICS_ON_MAIN_PORT=true to serve it on the main port)');
  }
  if (demo) {
    logger.warn({ event: 'demo_mode' }, 'DEMO MODE: ephemeral signing key and caller; nothing persists');
    // Written to fd 2 directly: opening process.stderr would make a pipe it shares with stdout
    // (`npm start 2>&1 | less`) non-blocking, and each moment that pipe is full would pause the
    // synchronous log for 100 ms (see logging/create-logger.ts).
    writeSync(2, demoBanner(`http://${address.includes(':') ? `[${address}]` : address}:${port}`, demo.key));
  }
  logger.info(
    {
      event: 'listening',
      port,
      address,
      metricsPort,
      mode: config.mode,
      demo: config.demo,
      alg: keyRing.active?.alg,
      kid: keyRing.active?.kid,
      // An HMAC key signs but is never published: verifiers need the secret, and the JWKS stays empty.
      published: keyRing.active?.publicJwk !== undefined,
      publishedKeys: keyRing.jwks.size,
      orgKeys: keyRing.orgKeys.size,
      callers: callers.size,
      rateLimitStore: config.rateLimit.redis ? 'redis' : 'memory',
      redis: config.rateLimit.redis?.kind,
      maxConnections,
    },
    'tokenvend listening',
  );
  if (maxConnections < config.maxConnections) {
    logger.warn({ event: 'connections.cap_lowered', maxConnections, fileLimit }, `MAX_CONNECTIONS lowered to ${maxConnections} to stay below the open-file limit (${String(fileLimit)})`);
  }

  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'shutdown', signal }, 'draining in-flight requests');
    for (const reloader of reloaders) reloader.close();
    const closing = [closeGracefully(server, logger), ...(metricsServer ? [closeGracefully(metricsServer, logger)] : [])];
    void Promise.all(closing)
      .then(() => Promise.all([stores.close(), signingThread?.close(), assertionThread?.close()]))
      .then(() => {
        logger.info({ event: 'stopped' }, 'tokenvend stopped');
        logger.flush(() => process.exit(0));
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** Calls `action` at most once per `intervalMs`. */
function throttled(intervalMs: number, action: () => void): () => void {
  let last = -Infinity;
  return () => {
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    action();
  };
}
