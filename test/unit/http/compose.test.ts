import express, { type RequestHandler } from 'express';
import request from 'supertest';
import { composeMiddleware } from '../../../src/http/compose-middleware.js';
import { fromMiddleware, runSteps } from '../../../src/http/run-steps.js';

const errorsAsText: express.ErrorRequestHandler = (error: Error, _req, res, _next) => {
  res.status(500).send(error.message);
};

describe('composeMiddleware', () => {
  it('runs each middleware in order as one layer, then continues', async () => {
    const order: string[] = [];
    const mark = (name: string): RequestHandler => (_req, res, next) => {
      order.push(name);
      res.setHeader(`x-${name}`, '1');
      next();
    };
    const app = express().use(composeMiddleware([mark('a'), mark('b')])).get('/', (_req, res) => void res.send('ok'));
    const res = await request(app).get('/').expect(200, 'ok');
    expect(order).toEqual(['a', 'b']);
    expect([res.headers['x-a'], res.headers['x-b']]).toEqual(['1', '1']);
  });

  it('stops at an error, and refuses a middleware that does not call next synchronously', async () => {
    const failing: RequestHandler = (_req, _res, next) => next(new Error('boom'));
    const lazy: RequestHandler = function lazy(_req, _res, next) {
      setTimeout(next, 1);
    };
    const app = express();
    app.get('/fail', composeMiddleware([failing]), (_req, res) => void res.send('unreachable'));
    app.get('/lazy', composeMiddleware([lazy]), (_req, res) => void res.send('unreachable'));
    app.use(errorsAsText);
    await request(app).get('/fail').expect(500, 'boom');
    await request(app).get('/lazy').expect(500, 'lazy did not call next synchronously');
  });
});

describe('runSteps', () => {
  it('runs sync and async steps in order and stops once a step has responded', async () => {
    const order: string[] = [];
    const app = express().post(
      '/',
      runSteps([
        () => void order.push('sync'),
        async () => void order.push('async'),
        fromMiddleware(express.json()),
        (req, res) => void res.status(201).json({ got: req.body }),
        () => void order.push('never'),
      ]),
    );
    const res = await request(app).post('/').send({ a: 1 }).expect(201);
    expect(res.body).toEqual({ got: { a: 1 } });
    expect(order).toEqual(['sync', 'async']);
  });

  it('hands a thrown error, a rejected step or a middleware error to the error handler', async () => {
    const app = express();
    app.post('/throw', runSteps([() => { throw new Error('thrown'); }]));
    app.post('/reject', runSteps([async () => Promise.reject(new Error('rejected'))]));
    app.post('/middleware', runSteps([fromMiddleware(express.json())]));
    app.use(errorsAsText);
    await request(app).post('/throw').expect(500, 'thrown');
    await request(app).post('/reject').expect(500, 'rejected');
    const res = await request(app).post('/middleware').set('Content-Type', 'application/json').send('{bad');
    expect(res.status).toBe(500);
  });
});
