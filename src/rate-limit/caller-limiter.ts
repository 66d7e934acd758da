/** The per-caller limit (express-rate-limit), checked right after authentication and before any signing work. */
import { rateLimit, type RateLimitInfo, type Store } from 'express-rate-limit';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Caller } from '../auth/caller.js';
import { RateLimitedError } from '../errors/service-error.js';
import type { Logger } from '../logging/create-logger.js';
import { createRateLimitHeaders } from './rate-limit-headers.js';

export const RATE_LIMIT_WINDOW_MS = 60_000;
/** The policy's name in the RateLimit headers. */
const POLICY = 'per-caller';

export interface CallerLimiterOptions {
  readonly store: Store;
  /** RATE_LIMIT_PER_MINUTE; a caller's own `rateLimitPerMinute` overrides it. */
  readonly perMinute: number;
  readonly failOpen: boolean;
  readonly logger: Logger;
}

const callerOf = (res: Response): Caller => (res.locals as { caller: Caller }).caller;

/**
 * @example
 * app.post('/tokens', authenticateCaller, createCallerLimiter({ store, perMinute: 600, failOpen: true, logger }), ...);
 */
export function createCallerLimiter({ store, perMinute, failOpen, logger }: CallerLimiterOptions): RequestHandler {
  // IETF RateLimit / RateLimit-Policy headers (draft-ietf-httpapi-ratelimit-headers-08), policy "per-caller":
  // the bytes express-rate-limit's standardHeaders 'draft-8' writes, at a fraction of the cost (rate-limit-headers.ts).
  const writeHeaders = createRateLimitHeaders({ policy: POLICY, windowMs: RATE_LIMIT_WINDOW_MS });
  const limiter = rateLimit({
    windowMs: RATE_LIMIT_WINDOW_MS,
    limit: (_req: Request, res: Response) => callerOf(res).rateLimitPerMinute ?? perMinute,
    keyGenerator: (_req: Request, res: Response) => `caller:${callerOf(res).id}`,
    // Written by writeHeaders below instead.
    standardHeaders: false,
    legacyHeaders: false,
    store,
    // Store errors are counted and logged by the guarded store; fail-open serves, fail-closed answers 503.
    passOnStoreError: failOpen,
    logger: { warn: (error) => logger.warn({ event: 'rate_limit.config', error: String(error) }, 'express-rate-limit warning'), error: () => undefined },
    // Its checks for common misconfigurations run on every request; this configuration is fixed and tested.
    validate: false,
    handler: (req: Request, _res: Response, next) => {
      const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const retryAfter = resetTime ? (resetTime.getTime() - Date.now()) / 1000 : RATE_LIMIT_WINDOW_MS / 1000;
      next(new RateLimitedError('This caller has exceeded its token request limit', retryAfter));
    },
  });
  // Once counted (refused or not), the answer carries the headers; a store failure served open leaves them out, as express-rate-limit does.
  return function limitCaller(req: Request, res: Response, next: NextFunction) {
    return limiter(req, res, (error?: unknown) => {
      const info = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit;
      let failure = error;
      try {
        if (info) writeHeaders(res, info);
      } catch (writeError) {
        // A store that answers no Date as resetTime: a 500, once. Thrown from here, express-rate-limit would call this again.
        failure ??= writeError;
      }
      next(failure);
    });
  };
}
