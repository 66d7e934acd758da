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
export function createAppServer(app: Express): Server {
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
  return createServer({ IncomingMessage: AppRequest, ServerResponse: AppResponse }, app);
}
