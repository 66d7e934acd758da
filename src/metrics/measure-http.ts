/** Observes every HTTP request's duration under its route template, never its raw path. */
import type { NextFunction, Request, Response } from 'express';
import type { Metrics } from './metrics.js';

/** What unmatched paths are labelled: one value, so scanners cannot grow the series count. */
export const UNMATCHED_ROUTE = 'unmatched';

// Node's parser accepts a fixed set of methods; anything unusual still collapses into one label value.
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * @example
 * app.use(measureHttp(metrics));
 */
export function measureHttp(metrics: Metrics) {
  return function measureRequest(req: Request, res: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const route = (req.route as { path?: unknown } | undefined)?.path;
      metrics.httpRequest(
        KNOWN_METHODS.has(req.method) ? req.method : 'OTHER',
        typeof route === 'string' ? route : UNMATCHED_ROUTE,
        res.statusCode,
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    });
    next();
  };
}
