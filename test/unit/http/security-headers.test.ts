import express from 'express';
import request from 'supertest';
import { apiHelmet, apiSecurityHeaders, recordHeaders } from '../../../src/http/security-headers.js';

const appWith = (middleware: express.RequestHandler) => {
  const app = express();
  app.disable('x-powered-by');
  app.use(middleware);
  app.get('/', (_req, res) => {
    res.json({ ok: true });
  });
  return app;
};

const securityHeaders = (headers: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !['date', 'content-type', 'content-length', 'connection', 'etag', 'keep-alive'].includes(name)));

describe('apiSecurityHeaders', () => {
  it('sends exactly what helmet itself sends with the API configuration', async () => {
    const fromHelmet = await request(appWith(apiHelmet())).get('/').expect(200);
    const recorded = await request(appWith(apiSecurityHeaders())).get('/').expect(200);
    expect(securityHeaders(recorded.headers)).toEqual(securityHeaders(fromHelmet.headers));
    expect(Object.keys(securityHeaders(recorded.headers))).toHaveLength(7);
  });

  it('records the headers a middleware sets, in order', () => {
    const middleware: express.RequestHandler = (_req, res, next) => {
      res.setHeader('A', 'one');
      res.setHeader('B', 2);
      next();
    };
    expect(recordHeaders(middleware)).toEqual([
      ['A', 'one'],
      ['B', '2'],
    ]);
  });

  it('refuses a middleware that does not finish synchronously, or fails', () => {
    expect(() => recordHeaders((_req, _res, next) => void setImmediate(next))).toThrow(/did not finish synchronously/);
    expect(() => recordHeaders((_req, _res, next) => next(new Error('bad')))).toThrow('bad');
  });
});
