/** Runs several synchronous middlewares as one router layer: every router layer costs a dispatch on every request. */
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Each middleware must call `next` before it returns (helmet, a timer); an error stops the chain.
 *
 * @example
 * app.use(composeMiddleware([measureHttp(metrics), apiSecurityHeaders()]));
 */
export function composeMiddleware(middlewares: readonly RequestHandler[]): RequestHandler {
  return function composed(req: Request, res: Response, next: NextFunction): void {
    for (const middleware of middlewares) {
      let called = false;
      let failure: unknown;
      void middleware(req, res, (error?: unknown) => {
        called = true;
        failure = error;
      });
      if (!called) return next(new Error(`${middleware.name || 'middleware'} did not call next synchronously`));
      if (failure) return next(failure);
    }
    next();
  };
}
