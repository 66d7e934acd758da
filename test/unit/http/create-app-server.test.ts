import { execFile } from 'node:child_process';
import { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import express, { type Express } from 'express';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { createAppServer, type AppServerOptions } from '../../../src/http/create-app-server.js';
import { buildApp } from '../../support/build-app.js';
import { callersJson, testCaller } from '../../support/callers.js';
import { p256Key } from '../../support/keys.js';
import { openRaw, parseResponse, within } from '../../support/raw-http.js';
import { serveOnLoopback, type ServedApp } from '../../support/serve-app.js';
import { until } from '../../support/wait.js';

describe('createAppServer', () => {
  it('serves the app with the objects Express expects, built with its prototypes', async () => {
    const app: Express = express();
    const seen: Array<{ req: unknown; res: unknown }> = [];
    app.use(express.json());
    app.post('/echo', (req, res) => {
      seen.push({ req, res });
      res.locals.step = 'handled';
      res.status(201).json({
        body: req.body as unknown,
        path: req.path,
        ip: req.ip,
        app: req.app === app,
        locals: res.locals.step as unknown,
      });
    });
    const { base, close } = await serveOnLoopback(app);
    try {
      const res = await fetch(`${base}/echo?x=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"k":1}' });
      expect(res.status).toBe(201);
      expect(await res.json()).toEqual({ body: { k: 1 }, path: '/echo', ip: '127.0.0.1', app: true, locals: 'handled' });
      expect((await fetch(`${base}/nothing`)).status).toBe(404);

      const [{ req, res: response }] = seen as [{ req: object; res: object }];
      // Born with the prototype Express assigns (their constructor's), so its setPrototypeOf leaves them as they are.
      // Served by app.listen, they would be built by IncomingMessage and ServerResponse and re-parented afterwards.
      expect(Object.getPrototypeOf(req)).toBe(app.request);
      expect(Object.getPrototypeOf(response)).toBe(app.response);
      expect((req.constructor as { prototype: unknown }).prototype).toBe(app.request);
      expect((response.constructor as { prototype: unknown }).prototype).toBe(app.response);
      expect(req).toBeInstanceOf(IncomingMessage);
      expect(response).toBeInstanceOf(ServerResponse);
    } finally {
      await close();
    }
  });

  it('refuses a second server for the same app, and a mounted app', () => {
    const app = express();
    createAppServer(app);
    expect(() => createAppServer(app)).toThrow('createAppServer: this app already has its server');
    const child = express();
    express().use('/child', child);
    expect(() => createAppServer(child)).toThrow('createAppServer: the app is mounted in another; serve the top-level app');
  });

  it('serves the service: a token from POST /tokens verifies against the JWKS', async () => {
    const web = testCaller('web');
    const t = await buildApp({ PRIVATE_KEY: p256Key().pkcs8, CALLERS: callersJson(web), LOG_LEVEL: 'info' });
    const { base, close } = await serveOnLoopback(t.app);
    try {
      const res = await fetch(`${base}/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${web.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ orgId: 'org_a' }),
      });
      expect(res.status).toBe(201);
      const { token } = (await res.json()) as { token: string };
      const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks));
      expect(payload.orgId).toBe('org_a');

      const refused = await fetch(`${base}/tokens`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    } finally {
      await close();
      await t.close();
    }
  });

  it('lets every request share its hidden classes with the others, where app.listen does not (what the module exists for)', async () => {
    // %HaveSameMap needs --allow-natives-syntax, so this runs in a node of its own, on the built module.
    // If the app.listen half ever says true, V8 no longer needs this module.
    const script = `
      import http from 'node:http';
      import express from 'express';
      import { createAppServer } from './dist/http/create-app-server.js';
      async function probe(serve) {
        const app = express();
        const seen = [];
        app.use(express.json());
        app.post('/t', (req, res) => { seen.push([req, res]); res.locals.n = seen.length; res.status(201).json({ n: res.locals.n }); });
        const server = serve(app).listen(0, '127.0.0.1');
        await new Promise((resolve) => server.once('listening', resolve));
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        for (let i = 0; i < 4; i += 1) {
          await new Promise((resolve, reject) => {
            const request = http.request({ host: '127.0.0.1', port: server.address().port, path: '/t', method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => res.resume().on('end', resolve));
            request.on('error', reject).end('{"a":1}');
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
        agent.destroy();
        server.close();
        const [, , third, fourth] = seen;
        return { req: %HaveSameMap(third[0], fourth[0]), res: %HaveSameMap(third[1], fourth[1]) };
      }
      console.log(JSON.stringify({ shaped: await probe(createAppServer), listen: await probe((app) => app) }));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], { cwd: process.cwd(), timeout: 20_000 });
    expect(JSON.parse(stdout)).toEqual({ shaped: { req: true, res: true }, listen: { req: false, res: false } });
  });
});

describe('the send timeout', () => {
  const SEND_TIMEOUT_MS = 500;
  const LIMITS = { headersTimeoutMs: 200, requestTimeoutMs: 400, timeoutCheckIntervalMs: 50, sendTimeoutMs: SEND_TIMEOUT_MS };
  /** Well above the ~4 MB of an unread answer the kernel keeps on loopback (here), so that the write stalls. */
  const BIG = 32_000_000;
  let served: ServedApp;
  let stalled: number;
  let begun: number;

  async function serve(limits: AppServerOptions): Promise<number> {
    const app = express();
    const big = Buffer.alloc(BIG, 'x');
    app.get('/big', (_req, res) => void res.type('application/octet-stream').send(big));
    app.get('/quick', (_req, res) => void res.send('quick'));
    stalled = 0;
    begun = 0;
    served = await serveOnLoopback(app, { ...limits, onSendTimeout: () => void (stalled += 1) });
    served.server.on('request', () => void (begun += 1));
    return Number(new URL(served.base).port);
  }
  afterEach(async () => {
    await served.close();
  });

  /** Whether a new connection gets GET /quick answered (the cap closes it at once when it has no room). */
  async function quickServed(port: number): Promise<boolean> {
    const connection = await openRaw(port);
    try {
      connection.socket.write('GET /quick HTTP/1.1\r\nHost: tokenvend\r\n\r\n');
      await until(() => connection.received().endsWith('quick') || connection.isClosed(), 2000, 'an answer or the close');
      return connection.received().endsWith('quick');
    } finally {
      connection.socket.destroy();
    }
  }

  it('resets a connection whose client reads none of its answer, once nothing has moved on it for the send timeout, and reports it once', async () => {
    // No cap to speak of: at the cap such a connection is shed at once (connection-guard-held.test.ts).
    const port = await serve({ ...LIMITS });
    const reader = await openRaw(port);
    try {
      reader.socket.pause();
      reader.socket.write('GET /big HTTP/1.1\r\nHost: tokenvend\r\n\r\n');
      await until(() => begun === 1, 2000, 'the server answering GET /big');
      const asked = Date.now();
      // Without the send timeout the reader's connection stays for good.
      await until(() => stalled > 0, 2 * SEND_TIMEOUT_MS + 1500, 'the reader reset');
      expect(Date.now() - asked).toBeGreaterThanOrEqual(SEND_TIMEOUT_MS - 10);
      expect(await quickServed(port)).toBe(true);
      expect(stalled).toBe(1);
      // Reset: what the reader's kernel had taken is all it gets.
      reader.socket.resume();
      expect((await within(reader.closed, 2000, 'the reader seeing the reset')).length).toBeLessThan(BIG);
    } finally {
      reader.socket.destroy();
    }
  });

  it('still closes an idle keep-alive connection, without reporting it', async () => {
    // Node keeps an idle connection 1 s longer than keepAliveTimeout, then fires the same timeout event.
    const port = await serve({ ...LIMITS, keepAliveTimeoutMs: 100 });
    const connection = await openRaw(port);
    connection.socket.write('GET /quick HTTP/1.1\r\nHost: tokenvend\r\n\r\n');
    await within(connection.closed, 3000, 'the server closing the idle connection');
    expect(parseResponse(connection.received())).toMatchObject({ status: 200, body: 'quick' });
    expect(stalled).toBe(0);
  });

  it('is at least the request timeout, so that a request arriving in pauses still gets its 408', () => {
    expect(() => createAppServer(express(), { requestTimeoutMs: 1000, sendTimeoutMs: 999 })).toThrow(
      'createAppServer: sendTimeoutMs (999) must be positive and at least requestTimeoutMs (1000)',
    );
    expect(() => createAppServer(express(), { requestTimeoutMs: 0, sendTimeoutMs: 0 })).toThrow('createAppServer: sendTimeoutMs (0) must be positive');
  });
});
