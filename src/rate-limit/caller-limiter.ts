/** The per-caller limit (express-rate-limit), checked right after authentication and before any signing work. */
import { rateLimit, type Store } from 'express-rate-limit';
import type { Request, Response } from 'express';
import type { Caller } from '../auth/caller.js';
import { RateLimitedError } from '../errors/service-error.js';
import type { Logger } from '../logging/create-logger.js';

export const RATE_LIMIT_WINDOW_MS = 60_000;

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
export function createCallerLimiter({ store, perMinute, failOpen, logger }: CallerLimiterOptions) {
  return rateLimit({
    windowMs: RATE_LIMIT_WINDOW_MS,
    limit: (_req: Request, res: Response) => callerOf(res).rateLimitPerMinute ?? perMinute,
    keyGenerator: (_req: Request, res: Response) => `caller:${callerOf(res).id}`,
    // IETF RateLimit / RateLimit-Policy headers (draft-ietf-httpapi-ratelimit-headers-08), policy "per-caller".
    standardHeaders: 'draft-8',
    identifier: 'per-caller',
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
}
