import { defaultScopes } from '../../../src/auth/caller.js';
import express, { type NextFunction, type Request, type Response } from 'express';
import { MemoryStore, rateLimit } from 'express-rate-limit';
import request from 'supertest';
import type { Caller } from '../../../src/auth/caller.js';
import { fromMiddleware, runSteps } from '../../../src/http/run-steps.js';
import { createLogger } from '../../../src/logging/create-logger.js';
import { createCallerLimiter, RATE_LIMIT_WINDOW_MS } from '../../../src/rate-limit/caller-limiter.js';
import { createRateLimitHeaders } from '../../../src/rate-limit/rate-limit-headers.js';

type Headers = { ratelimit?: unknown; policy?: unknown };
const headersOf = (res: Response): Headers => ({ ratelimit: res.getHeader('RateLimit'), policy: res.getHeader('RateLimit-Policy') });

/**
 * One request runs both writers on counters of their own: express-rate-limit's own draft-8 writer,
 * then the caller limiter with ours. The answer reports both header pairs.
 */
function sideBySide(caller: Caller, perMinute: number) {
  const app = express();
  const reference = rateLimit({
    windowMs: RATE_LIMIT_WINDOW_MS,
    limit: caller.rateLimitPerMinute ?? perMinute,
    keyGenerator: () => `caller:${caller.id}`,
    standardHeaders: 'draft-8',
    identifier: 'per-caller',
    legacyHeaders: false,
    validate: false,
    // Over the limit too, its headers are written before the handler runs; go on to ours.
    handler: (_req, _res, next) => next(),
  });
  const ours = createCallerLimiter({ store: new MemoryStore(), perMinute, failOpen: false, logger: createLogger('silent') });
  const answer = (res: Response, status: number): void => {
    res.status(status).json({ reference: res.locals.reference as Headers, ours: headersOf(res) });
  };
  app.post(
    '/',
    (_req: Request, res: Response, next: NextFunction) => {
      res.locals.caller = caller;
      next();
    },
    reference,
    (_req: Request, res: Response, next: NextFunction) => {
      res.locals.reference = headersOf(res);
      res.removeHeader('RateLimit');
      res.removeHeader('RateLimit-Policy');
      next();
    },
    ours,
    (_req: Request, res: Response) => answer(res, 200),
  );
  app.use((_error: unknown, _req: Request, res: Response, _next: NextFunction) => answer(res, 429));
  return app;
}

const callerWith = (id: string, rateLimitPerMinute?: number): Caller => ({ id, keySha256: '0'.repeat(64), orgs: undefined, maxTtl: undefined, rateLimitPerMinute, defaultScopes: defaultScopes() });

describe('RateLimit headers', () => {
  it.each([
    ['the default limit', callerWith('web-backend'), 3],
    ['a caller of its own limit', callerWith('batch.jobs@eu:1', 2), 600],
    ['a limit of one', callerWith('a', 1), 5],
  ])('are the bytes express-rate-limit writes for draft 8, under and over %s', async (_name, caller, perMinute) => {
    const app = sideBySide(caller, perMinute);
    const limit = caller.rateLimitPerMinute ?? perMinute;
    for (let i = 1; i <= limit + 2; i += 1) {
      const res = await request(app).post('/').expect(i <= limit ? 200 : 429);
      const { reference, ours } = res.body as { reference: Headers; ours: Headers };
      expect(typeof reference.ratelimit).toBe('string');
      expect(ours).toEqual(reference);
    }
  });

  it('count down the seconds to the window\'s reset, and never below zero', () => {
    let now = 1_000_000;
    const written = new Map<string, unknown>();
    const res = { headersSent: false, setHeader: (name: string, value: unknown) => written.set(name, value) } as unknown as Response;
    const write = createRateLimitHeaders({ policy: 'per-caller', windowMs: 60_000, clock: () => now });
    const info = { limit: 5, used: 1, remaining: 4, resetTime: new Date(now + 60_000), key: 'caller:web' };

    write(res, info);
    expect(written.get('RateLimit')).toBe('"per-caller"; r=4; t=60');
    now += 30_500;
    write(res, info);
    expect(written.get('RateLimit')).toBe('"per-caller"; r=4; t=30');
    now += 40_000;
    write(res, info);
    expect(written.get('RateLimit')).toBe('"per-caller"; r=4; t=0');
    // A store that knows no reset time: a whole window.
    write(res, { ...info, resetTime: undefined });
    expect(written.get('RateLimit')).toBe('"per-caller"; r=4; t=60');
    // The partition key is the base64 of the first 12 hex digits of SHA-256("caller:web"), not the key itself.
    expect(written.get('RateLimit-Policy')).toBe('"per-caller"; q=5; w=60; pk=:ZDE2MDQ2NjYxZTM4:');
  });

  it('turn a store answer they cannot be written from into one error, as the route runs the limiter', async () => {
    const store = new MemoryStore();
    // A store that answers a reset time that is no Date.
    store.increment = async () => ({ totalHits: 1, resetTime: 1234 as unknown as Date });
    const limiter = createCallerLimiter({ store, perMinute: 5, failOpen: false, logger: createLogger('silent') });
    const errors: unknown[] = [];
    const app = express();
    app.post(
      '/',
      (_req: Request, res: Response, next: NextFunction) => {
        res.locals.caller = callerWith('web');
        next();
      },
      runSteps([fromMiddleware(limiter), (_req, res) => void res.status(201).end()]),
    );
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      errors.push(error);
      res.status(500).end();
    });
    await request(app).post('/').timeout(2000).expect(500);
    expect(errors).toEqual([expect.any(TypeError)]);
  });
});
