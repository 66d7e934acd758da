/**
 * The HTTP server for an Express app: its request and response objects are born with the app's
 * prototypes, instead of receiving them from Express on every request.
 *
 * Why: Express 5 gives each request and response its app's prototypes with Object.setPrototypeOf.
 * V8 does not cache the hidden-class transitions of an object whose prototype was changed. So every
 * property that Express, the middleware and Node then add to req or res (req.route, res.locals,
 * res.statusCode, ...) makes a hidden class that no other request shares. Every property access on
 * req and res then misses its inline cache and goes through V8's runtime. Under load, those misses
 * were about 30 % of the event loop's CPU samples (`perf`).
 *
 * Built from subclasses whose prototypes lead to the app's, the objects already have the prototype
 * Express sets. Its setPrototypeOf then changes nothing, and all requests share their hidden classes.
 * Measured on the 2-core bench VM (autocannon, 50 clients, ES256; interleaved A/B, 6 rounds of 5 s):
 * the event loop's CPU per token fell from 159 to 65 µs, and tokens/s rose from 6,035 to 14,570.
 * `npm run bench` shows the same server built both ways as its two baselines.
 */
import { createServer, IncomingMessage, ServerResponse, type Server } from 'node:http';
import type { Express } from 'express';
import { guardConnections } from './connection-guard.js';
import { answerParserRejections, refusedForMissingHost } from './parser-rejections.js';
import { MAX_BODY_BYTES } from './routes/token-door.js';
import { closeStalledConnections } from './send-timeout.js';

/**
 * How long and how much a client may hold of the server. A token request is a few hundred bytes,
 * 4 KiB at most: it arrives in one round trip, so seconds are generous, and a client that takes
 * longer is holding a connection, not sending a request.
 */
export interface ConnectionLimits {
  /** Time to send the request line and headers, from the first byte (Node's `headersTimeout`). */
  readonly headersTimeoutMs: number;
  /** Time to send the whole request, body included (Node's `requestTimeout`); at least `headersTimeoutMs`. */
  readonly requestTimeoutMs: number;
  /** How often the two timeouts above are checked (Node's `connectionsCheckingInterval`; 30 s by default). */
  readonly timeoutCheckIntervalMs: number;
  /** Time an idle keep-alive connection is kept. */
  readonly keepAliveTimeoutMs: number;
  /**
   * Time a connection may go with nothing moving either way while a request is being answered (Node's
   * socket `timeout`, nginx's `send_timeout`): a client that reads none of its answer is cut between one
   * and two of these after the kernel last took a byte of it (send-timeout.ts); one that reads slowly is
   * not. At least `requestTimeoutMs`, so that a request that arrives in pauses still gets its 408.
   */
  readonly sendTimeoutMs: number;
  /** Requests per connection; the last one is answered with `Connection: close`, and the connection is closed after it. */
  readonly maxRequestsPerSocket: number;
  /** Open connections at most; at the cap, a new one closes the one without a request being answered (arrived whole, body included) that has gone longest without starting a request, or is itself closed when every one has a request being answered. */
  readonly maxConnections: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = Object.freeze({
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  timeoutCheckIntervalMs: 1_000,
  keepAliveTimeoutMs: 5_000,
  // nginx's send_timeout and Apache's Timeout (60 s; Node's own was 120 s until v13 made it 0, never).
  // Unlike the request's, this bound is on the client's link, not on what it sends: /docs goes to
  // browsers anywhere, and 60 s without the kernel taking a byte is a client that has stopped reading,
  // not one on a slow link (TCP's own retransmissions leave a 60 s gap only after some 100 s of total loss).
  // It must also outlast the longest the service takes to prepare an answer, when nothing moves
  // either: REDIS_TIMEOUT_MS is at most 30 s in all, a jwks_uri fetch 2.5 s (remote-key-set.ts), a thread's answer 5 s.
  sendTimeoutMs: 60_000,
  maxRequestsPerSocket: 1_000,
  maxConnections: 1_000,
});


export interface AppServerOptions extends Partial<ConnectionLimits> {
  /** Told each time the connection cap closes a connection. */
  readonly onConnectionShed?: () => void;
  /** Told each time the send timeout closes a connection with a response due. */
  readonly onSendTimeout?: () => void;
}

/** A server that can be told to drain: every response from then on closes its connection. */
export interface AppServer extends Server {
  /** From now on, answer with `Connection: close` (graceful-shutdown.ts). */
  beginDrain(): void;
  readonly draining: boolean;
}

/** Node sets this on the response to a connection's last allowed request (`maxRequestsPerSocket`); not in its types. */
type LimitedResponse = ServerResponse & { readonly maxRequestsOnConnectionReached?: boolean };

/** Apps already given their subclasses: a second server would only put the first back on the slow path. */
const shapedApps = new WeakSet<Express>();

/**
 * Sets the app's request and response prototypes to subclasses of Node's. For a top-level app only,
 * once: Express re-parents a mounted app's prototypes onto its parent's, which would cut the
 * subclasses off from the mounted app's own (its `req.app` would become the parent).
 *
 * @example
 * const server = createAppServer(createApp(deps));
 * server.listen(8080, '127.0.0.1');
 */
export function createAppServer(app: Express, options: AppServerOptions = {}): AppServer {
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...withoutUndefined(options) };
  if (!(limits.sendTimeoutMs > 0 && limits.sendTimeoutMs >= limits.requestTimeoutMs)) {
    throw new Error(`createAppServer: sendTimeoutMs (${limits.sendTimeoutMs}) must be positive and at least requestTimeoutMs (${limits.requestTimeoutMs})`);
  }
  if (shapedApps.has(app)) throw new Error('createAppServer: this app already has its server');
  if ((app as { parent?: unknown }).parent !== undefined) throw new Error('createAppServer: the app is mounted in another; serve the top-level app');
  shapedApps.add(app);
  class AppRequest extends IncomingMessage {}
  class AppResponse extends ServerResponse {}
  Object.setPrototypeOf(AppRequest.prototype, app.request);
  Object.setPrototypeOf(AppResponse.prototype, app.response);
  // The subclasses' prototypes now lead to Express's own (app.request → express.request → IncomingMessage.prototype),
  // so they are an Express Request and Response in all but their declared types.
  app.request = AppRequest.prototype as unknown as Express['request'];
  app.response = AppResponse.prototype as unknown as Express['response'];
  let draining = false;
  const server = createServer(
    {
      IncomingMessage: AppRequest,
      ServerResponse: AppResponse,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
      // Answered by refusedForMissingHost below, as problem+json.
      requireHostHeader: false,
    },
    function serveRequest(req, res) {
      guard.touch(req.socket);
      // On the connection's last allowed request Node sends "Connection: close" but keeps the socket
      // open, answering every later request with a plain 503 for as long as the client writes on
      // (autocannon does: every request after the 1,000th, measured). Not keeping it alive closes the
      // connection once this response is written; requests pipelined behind it go unanswered, which
      // RFC 9112 §9.6 tells a client to retry on a new connection.
      if (draining || (res as LimitedResponse).maxRequestsOnConnectionReached) res.shouldKeepAlive = false;
      if (refusedForMissingHost(req, res)) return;
      app(req, res);
    },
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxRequestsPerSocket = limits.maxRequestsPerSocket;
  closeStalledConnections(server, limits.sendTimeoutMs, options.onSendTimeout);
  const guard = guardConnections(server, limits.maxConnections, options.onConnectionShed);
  answerParserRejections(server, MAX_BODY_BYTES);
  return Object.defineProperties(server, {
    beginDrain: { value: () => void (draining = true) },
    draining: { get: () => draining },
  }) as AppServer;
}

/** The limits given (every limit is a number; the callbacks beside them are not limits). */
function withoutUndefined(options: AppServerOptions): Partial<ConnectionLimits> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => typeof value === 'number'));
}
