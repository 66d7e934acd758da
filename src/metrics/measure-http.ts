/** Observes every HTTP request's duration under its route template, never its raw path. */
import type { NextFunction, Request, Response } from 'express';
import type { Metrics } from './metrics.js';

/** What unmatched paths are labelled: one value, so scanners cannot grow the series count. */
export const UNMATCHED_ROUTE = 'unmatched';

// Node's parser accepts a fixed set of methods; anything unusual still collapses into one label value.
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

const STARTED = Symbol('tokenvend.startedAt');
type TimedResponse = Response & { [STARTED]?: number };

/**
 * @example
 * app.use(measureHttp(metrics));
 */
export function measureHttp(metrics: Metrics) {
  // One listener function for every response (it reads the response from `this`): no closure and
  // no once-wrapper per request. A response is used once, so the listener never needs removing.
  function observeFinished(this: TimedResponse): void {
    const { req } = this;
    const route = (req.route as { path?: unknown } | undefined)?.path;
    metrics.httpRequest(
      KNOWN_METHODS.has(req.method) ? req.method : 'OTHER',
      typeof route === 'string' ? route : UNMATCHED_ROUTE,
      this.statusCode,
      (performance.now() - (this[STARTED] ?? 0)) / 1000,
    );
  }

  return function measureRequest(_req: Request, res: TimedResponse, next: NextFunction): void {
    res[STARTED] = performance.now();
    res.on('finish', observeFinished);
    next();
  };
}
