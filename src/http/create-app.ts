/** Assembles the HTTP application from its dependencies; nothing here reads the environment. */
import { declaresBody } from './declares-body.js';
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { MemoryStore, type Store } from 'express-rate-limit';
import type { CallerRegistry } from '../auth/caller-registry.js';
import type { Config } from '../config/config.js';
import { MethodNotAllowedError, NotFoundError } from '../errors/service-error.js';
import type { KeyRing } from '../keys/key-ring.js';
import { createAuditLog } from '../logging/audit-log.js';
import type { Logger } from '../logging/create-logger.js';
import { measureHttp } from '../metrics/measure-http.js';
import { createMetrics, type Metrics } from '../metrics/metrics.js';
import { createAuthFailureGuard, type AuthFailureGuard } from '../rate-limit/auth-failure-guard.js';
import { createCallerLimiter } from '../rate-limit/caller-limiter.js';
import { createTokenIssuer } from '../signer/issue-token.js';
import { composeMiddleware } from './compose-middleware.js';
import { apiSecurityHeaders } from './security-headers.js';
import { sendProblem, toServiceError } from './problem.js';
import { createReadinessRoute, serveLiveness, type ReadinessCheck } from './routes/health.js';
import { createDiscoveryRoute, DISCOVERY_PATHS } from './routes/discovery.js';
import { createDocsRoute } from './routes/docs.js';
import { createJwksRoute } from './routes/jwks.js';
import { createMetricsRoute } from './routes/metrics.js';
import { createOpenApiRoute } from './routes/openapi.js';
import { createTokensRoute } from './routes/tokens.js';
import { createOAuthTokenRoute, TOKEN_ENDPOINT_PATH } from './routes/oauth-token.js';
import { createMemoryReplayStore, type AssertionReplayStore } from '../oauth/assertion-replay-store.js';
import { createClientAuthenticator } from '../oauth/authenticate-client.js';
import { createClientAssertionVerifier } from '../oauth/client-assertion.js';
import type { AssertionThread } from '../oauth/assertion-thread.js';
import { publicBaseUrl } from '../config/public-base-url.js';

export interface AppDependencies {
  readonly config: Pick<Config, 'tokens' | 'trustProxy' | 'jwksMaxAge' | 'rateLimit' | 'publicUrl'>;
  readonly logger: Logger;
  /** Resolves once the lines logged so far are written, when the logger's destination holds lines back (start-service.ts). */
  readonly logWritten?: () => Promise<void>;
  readonly keyRing: KeyRing;
  readonly callers: CallerRegistry;
  /** Milliseconds since the epoch. */
  readonly clock?: () => number;
  /** A fresh registry per app unless given. */
  readonly metrics?: Metrics;
  /** Where the limit counters live; in memory unless given. */
  readonly stores?: { readonly callers: Store; readonly authFailures: Store; readonly assertionReplay?: AssertionReplayStore };
  /** The limiters themselves, when something other than the ones built on `stores` is wanted (the bench's limiter-free figure). */
  readonly limits?: { readonly limitCaller: RequestHandler; readonly authFailureGuard: AuthFailureGuard };
  readonly readinessChecks?: readonly ReadinessCheck[];
  /** False when METRICS_PORT serves /metrics on its own listener. */
  readonly serveMetrics?: boolean;
  /** Verifies private_key_jwt assertions off the event loop; on it without one. */
  readonly assertionThread?: AssertionThread;
}

/**
 * Creates the Express application.
 *
 * @example
 * const app = createApp({ config, logger, keyRing, callers });
 * createAppServer(app).listen(8080);
 */
export function createApp(deps: AppDependencies): Express {
  const { config, logger, keyRing, callers, clock = Date.now, readinessChecks = [], serveMetrics = true } = deps;
  const metrics = deps.metrics ?? createMetrics({ defaultMetrics: false });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);
  app.use(composeMiddleware([measureHttp(metrics), apiSecurityHeaders()]));

  const { failOpen } = config.rateLimit;
  const stores = deps.stores ?? { callers: new MemoryStore(), authFailures: new MemoryStore() };
  const limits = deps.limits ?? {
    authFailureGuard: createAuthFailureGuard({ store: stores.authFailures, limit: config.rateLimit.authFailuresPerMinute, clock }),
    limitCaller: createCallerLimiter({ store: stores.callers, perMinute: config.rateLimit.perCallerPerMinute, failOpen, logger }),
  };
  // One issuer, one audit log, one limiter and guard, behind both doors.
  const shared = {
    issueToken: createTokenIssuer({ keyRing, clock, issuer: config.tokens.issuer, observeSign: metrics.signDuration }),
    policy: config.tokens,
    audit: createAuditLog(logger, deps.logWritten),
    metrics,
    ...limits,
    // req.ip runs proxy-addr over X-Forwarded-For on every call; with no proxy trusted it is the socket's address.
    clientAddress: config.trustProxy === false ? (req: Request) => req.socket.remoteAddress : (req: Request) => req.ip,
  };
  app.post('/tokens', ...createTokensRoute({ callers, ...shared }));
  const verifyAssertion = createClientAssertionVerifier({
    replay: deps.stores?.assertionReplay ?? createMemoryReplayStore(),
    clock,
    // Once per failed fetch, which is at most once per URI per cooldown; the assertion is never logged.
    onJwksFetchFailed: ({ jwksUri, error, retryInMs }) =>
      logger.warn({ err: error, event: 'jwks_uri.fetch_failed', jwksUri, retryInMs }, "a client's jwksUri could not be fetched; its assertions that need a fetch are refused at once until the next try"),
    ...(deps.assertionThread && { thread: deps.assertionThread }),
  });
  app.post(
    TOKEN_ENDPOINT_PATH,
    ...createOAuthTokenRoute({
      ...shared,
      authenticateClient: createClientAuthenticator({ callers, verifyAssertion }),
      issuer: config.tokens.issuer,
      publicUrl: config.publicUrl,
      logger,
    }),
  );
  app.get('/.well-known/jwks.json', createJwksRoute(keyRing, config.jwksMaxAge));
  const { issuer } = config.tokens;
  app.get('/openapi.yaml', createOpenApiRoute({ logger }));
  app.get('/docs', createDocsRoute({ logger, serverUrl: publicBaseUrl(config.publicUrl, issuer) }));
  const getPaths = ['/.well-known/jwks.json', '/healthz', '/readyz', '/openapi.yaml', '/docs'];
  if (issuer !== undefined) {
    const serveDiscovery = createDiscoveryRoute(keyRing, { issuer, publicUrl: config.publicUrl });
    // One route per path, so that each is measured under its own name.
    for (const path of DISCOVERY_PATHS) app.get(path, serveDiscovery);
    getPaths.push(...DISCOVERY_PATHS);
  }
  app.get('/healthz', serveLiveness);
  app.get('/readyz', createReadinessRoute(keyRing, readinessChecks));
  if (serveMetrics) {
    app.get('/metrics', createMetricsRoute(metrics.registry));
    getPaths.push('/metrics');
  }

  app.all('/tokens', rejectMethod(['POST']));
  app.all(TOKEN_ENDPOINT_PATH, rejectMethod(['POST']));
  for (const path of getPaths) {
    app.all(path, rejectMethod(['GET', 'HEAD']));
  }
  app.use(function notFound(): never {
    throw new NotFoundError('No such route');
  });
  app.use(createErrorRenderer(logger));
  return app;
}

/**
 * Refusals after which a connection whose request carried a body is closed, not kept alive: a client
 * refused for its key, its body or its rate would otherwise keep the connection (and have Node read
 * and discard a body it trickles, for minutes) at no cost to itself. A bodiless refusal costs nothing
 * to read past, so its connection is kept: pipelined guesses are each answered by the failed-auth
 * guard (at most its limit of 401s, then 429).
 */
const CLOSING_STATUSES: ReadonlySet<number> = new Set([401, 413, 415, 429]);

/** The last middleware: every error becomes a problem document; an unexpected one (500) is logged with its cause. */
export function createErrorRenderer(logger: Logger) {
  return function renderError(error: unknown, req: Request, res: Response, next: NextFunction): void {
    const failure = toServiceError(error);
    if (failure.status === 500) logger.error({ err: failure.cause ?? failure, path: req.path, code: failure.code }, 'request failed');
    if (res.headersSent) return next(error);
    // "Connection: close": Node then destroys the socket once the answer is written, instead of
    // reading the rest of an unread body to reach the next request.
    if ((CLOSING_STATUSES.has(failure.status) && declaresBody(req)) || hasUnreadBody(req)) res.shouldKeepAlive = false;
    sendProblem(res, failure, req.path);
  };
}


/** `complete` is false until the parser has seen the end of the message, which a bodiless request reaches at once. */
function hasUnreadBody(req: Request): boolean {
  return !req.complete && declaresBody(req);
}

function rejectMethod(allowed: readonly string[]) {
  return function methodNotAllowed(): never {
    throw new MethodNotAllowedError(allowed);
  };
}
