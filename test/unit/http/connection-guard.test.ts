/**
 * The connection cap (connection-guard.ts) as the service serves it (createAppServer): at the cap, a
 * connection whose request has arrived whole and is being answered is never the one closed, and one
 * whose request body is still arriving is closed as one whose headers are still arriving would be. A
 * route that answers only when the test says holds a response in flight for as long as a test needs,
 * with no timing to guess. These tests also pin the two things the guard reads from Node (its
 * internal `socket._httpMessage`, then the public `res.req.complete`): if an upgrade changed either,
 * the guard would shed responses in flight, or none, and a test here would fail.
 */
import express, { type Response } from 'express';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { buildApp, type TestApp } from '../../support/build-app.js';
import { callersJson, testCaller } from '../../support/callers.js';
import { p256Key } from '../../support/keys.js';
import { openRaw, parseResponse, trickle, within, type RawConnection } from '../../support/raw-http.js';
import { serveOnLoopback, type ServedApp } from '../../support/serve-app.js';
import { sleep, until } from '../../support/wait.js';

const CAP = 3;

let served: ServedApp;
let port: number;
/** Requests whose handler the server has run (their headers are in; their body may not be). */
let begun: number;
let shed: number;
const opened: RawConnection[] = [];

afterEach(() => {
  for (const connection of opened.splice(0)) connection.socket.destroy();
});

/** Serves `app` with the cap at CAP, counting the requests begun and the connections shed. */
async function serveCapped(app: express.Express): Promise<void> {
  begun = 0;
  shed = 0;
  served = await serveOnLoopback(app, { maxConnections: CAP, onConnectionShed: () => void (shed += 1) });
  port = Number(new URL(served.base).port);
  served.server.on('request', () => void (begun += 1));
}

async function raw(): Promise<RawConnection> {
  const connection = await openRaw(port);
  opened.push(connection);
  return connection;
}

/** Writes the request line and headers (and `firstBytes` of the body); resolves once the server's handler has run for it. */
async function begin(connection: RawConnection, head: string, firstBytes = ''): Promise<void> {
  const before = begun;
  connection.socket.write(`${head}\r\n${firstBytes}`);
  await until(() => begun > before, 2000, 'the server beginning the request');
}

describe('with a route that holds its responses', () => {
  /** Responses of /held, not yet answered: in flight, as a request awaiting its signature or Redis is. */
  let held: Response[];
  let accepted: number;

  beforeEach(async () => {
    held = [];
    accepted = 0;
    const app = express();
    app.get('/held', (_req, res) => void held.push(res));
    // The body read whole first (4 KiB at most, as the token doors read theirs), then held.
    app.post('/held', express.text({ type: () => true, limit: 4096 }), (_req, res) => void held.push(res));
    app.get('/quick', (_req, res) => void res.send('quick'));
    await serveCapped(app);
    // After the guard's own listener: counts every connection the server has seen, kept or not.
    served.server.on('connection', () => void (accepted += 1));
  });
  afterEach(async () => {
    await served.close();
  });

  /** Opens a connection and begins GET /held on it; resolves once the app holds its response. */
  async function inFlight(): Promise<RawConnection> {
    const connection = await raw();
    const before = held.length;
    connection.socket.write('GET /held HTTP/1.1\r\nHost: tokenvend\r\n\r\n');
    await until(() => held.length > before, 2000, 'the app holding the response');
    return connection;
  }

  /** Opens a connection and begins POST /held on it, declaring `declared` bytes of body and sending one. */
  async function bodyArriving(declared = 100): Promise<RawConnection> {
    const connection = await raw();
    await begin(connection, `POST /held HTTP/1.1\r\nHost: tokenvend\r\nContent-Length: ${declared}\r\n`, 'x');
    return connection;
  }

  /** Answers every held response, and checks that each connection receives its own answer whole. */
  async function answerAll(connections: readonly RawConnection[]): Promise<void> {
    held.forEach((res, index) => res.send(`answer ${index}`));
    await until(() => connections.every((connection) => connection.received().includes('\r\n\r\n') && parseResponse(connection.received()).body !== ''), 2000, 'every held response arriving');
    expect(connections.map((connection) => parseResponse(connection.received())).map(({ status, body }) => ({ status, body }))).toEqual(
      connections.map((_, index) => ({ status: 200, body: `answer ${index}` })),
    );
    expect(connections.some((connection) => connection.isClosed())).toBe(false);
  }

  /** The newcomer was kept: it is served. */
  async function expectServed(newcomer: RawConnection): Promise<void> {
    newcomer.socket.write('GET /quick HTTP/1.1\r\nHost: tokenvend\r\n\r\n');
    await until(() => newcomer.received().includes('quick') || newcomer.isClosed(), 2000, 'the newcomer answered');
    expect(parseResponse(newcomer.received())).toMatchObject({ status: 200, body: 'quick' });
  }

  describe('the connection cap never sheds a connection whose response is in flight', () => {
    it('every open connection has a response in flight: the newcomer is closed, and every response completes', async () => {
      const answering = [];
      for (let i = 0; i < CAP; i += 1) answering.push(await inFlight());

      const newcomer = await raw();
      expect(await within(newcomer.closed, 2000, 'the server closing the newcomer')).toBe('');
      expect(shed).toBe(1);
      await answerAll(answering);
    });

    it('the connection shed is the idle one, though the connections in flight are older', async () => {
      const answering = [await inFlight(), await inFlight()];
      const idle = await raw();
      await until(() => accepted === CAP, 2000, 'the server seeing the idle connection');

      const newcomer = await raw();
      expect(await within(idle.closed, 2000, 'the server closing the idle connection')).toBe('');
      expect(shed).toBe(1);
      await expectServed(newcomer);
      await answerAll(answering);
    });

    it('a request whose body has arrived whole is being answered: the one shed is the younger one whose body is still arriving', async () => {
      const whole = await raw();
      await begin(whole, 'POST /held HTTP/1.1\r\nHost: tokenvend\r\nContent-Length: 100\r\n', 'x'.repeat(100));
      await until(() => held.length === 1, 2000, 'the app holding the whole request');
      const arriving = await bodyArriving();
      const answering = [whole, await inFlight()];

      const newcomer = await raw();
      expect(await within(arriving.closed, 2000, 'the server closing the connection whose body is arriving')).toBe('');
      expect(shed).toBe(1);
      await expectServed(newcomer);
      await answerAll(answering);
    });
  });

  describe('a connection whose request body is still arriving is shed as one whose headers are', () => {
    it('a body arriving quickly is not the victim: the stalest trickled bodies go first, and it is answered', async () => {
      const byLength = await raw();
      await begin(byLength, 'POST /held HTTP/1.1\r\nHost: tokenvend\r\nContent-Length: 4000\r\n', 'x');
      void trickle(byLength, 'x'.repeat(3999), 100);
      const chunked = await raw();
      await begin(chunked, 'POST /held HTTP/1.1\r\nHost: tokenvend\r\nTransfer-Encoding: chunked\r\n', '1\r\nx\r\n');
      void trickle(chunked, '1\r\nx\r\n'.repeat(1000), 100);
      // Half its body sent: arriving, as a caller's body is for a round trip.
      const body = JSON.stringify({ orgId: 'org_a' });
      const legit = await raw();
      await begin(legit, `POST /held HTTP/1.1\r\nHost: tokenvend\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n`, body.slice(0, 8));

      const newcomer = await raw();
      expect(await within(byLength.closed, 2000, 'the server closing the stalest trickled body')).toBe('');
      expect([shed, chunked.isClosed(), legit.isClosed()]).toEqual([1, false, false]);
      await expectServed(newcomer);

      legit.socket.write(body.slice(8));
      await until(() => held.length === 1, 2000, 'the app holding the whole request');
      await answerAll([legit]);

      // The next newcomer takes the chunked one's place: its body is still arriving, and it is now the stalest.
      const next = await raw();
      expect(await within(chunked.closed, 2000, 'the server closing the trickled chunked body')).toBe('');
      expect([shed, legit.isClosed(), newcomer.isClosed()]).toEqual([2, false, false]);
      await expectServed(next);
    });

    it("a keep-alive connection's second request is judged by its own body, not by the first request's", async () => {
      const keptAlive = await raw();
      await expectServed(keptAlive);
      await begin(keptAlive, 'POST /held HTTP/1.1\r\nHost: tokenvend\r\nContent-Length: 100\r\n', 'x');
      const answering = [await inFlight(), await inFlight()];

      const newcomer = await raw();
      expect(await within(keptAlive.closed, 2000, 'the server closing the kept-alive connection')).toContain('quick');
      expect(shed).toBe(1);
      await expectServed(newcomer);
      await answerAll(answering);
    });

    it('pipelined: kept while the first response is in flight, shed once only the second request, whose body is arriving, is left', async () => {
      const pipelined = await raw();
      await begin(pipelined, 'GET /held HTTP/1.1\r\nHost: tokenvend\r\n\r\nPOST /held HTTP/1.1\r\nHost: tokenvend\r\nContent-Length: 100\r\n', 'x');
      await until(() => held.length === 1 && begun === 2, 2000, 'both pipelined requests begun');
      const answering = [await inFlight(), await inFlight()];

      const turnedAway = await raw();
      expect(await within(turnedAway.closed, 2000, 'the server closing the newcomer')).toBe('');
      expect([shed, pipelined.isClosed()]).toEqual([1, false]);

      (held[0] as Response).send('first');
      await until(() => pipelined.received().includes('first'), 2000, 'the first pipelined answer');
      const newcomer = await raw();
      expect(await within(pipelined.closed, 2000, 'the server closing the pipelined connection')).toContain('first');
      expect(shed).toBe(2);
      await expectServed(newcomer);
      held.shift();
      await answerAll(answering);
    });
  });
});

describe('the attack: request bodies trickled into every slot of the cap', () => {
  const web = testCaller('web-backend');
  let t: TestApp;

  beforeAll(async () => {
    t = await buildApp({ NODE_ENV: 'production', PRIVATE_KEY: p256Key().pkcs8, CALLERS: callersJson(web), ORG_ID: 'org_a' });
  });
  beforeEach(async () => {
    await serveCapped(t.app);
  });
  afterEach(async () => {
    await served.close();
  });
  afterAll(async () => {
    await t.close();
  });

  it('with every slot holding an unauthenticated POST /oauth/token whose body trickles in, a caller still gets its token, each time from the stalest', async () => {
    // POST /oauth/token reads the form before it authenticates anyone: no credential is needed to hold a slot this way.
    const form = 'POST /oauth/token HTTP/1.1\r\nHost: tokenvend\r\nContent-Type: application/x-www-form-urlencoded\r\n';
    const attackers: RawConnection[] = [];
    for (let i = 0; i < CAP; i += 1) {
      const attacker = await raw();
      if (i === CAP - 1) {
        await begin(attacker, `${form}Transfer-Encoding: chunked\r\n`, '1\r\nx\r\n');
        void trickle(attacker, '1\r\nx\r\n'.repeat(1000), 100);
      } else {
        await begin(attacker, `${form}Content-Length: 4000\r\n`, 'x');
        void trickle(attacker, 'x'.repeat(3999), 100);
      }
      attackers.push(attacker);
    }

    const body = JSON.stringify({ orgId: 'org_a' });
    const { jwks } = t.keyRing;
    for (let round = 0; round < CAP; round += 1) {
      const caller = await raw();
      caller.socket.write(`POST /tokens HTTP/1.1\r\nHost: tokenvend\r\nAuthorization: Bearer ${web.key}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      await until(() => caller.received().includes('"token"') || caller.isClosed(), 2000, "the caller's answer");
      const response = parseResponse(caller.received());
      expect(response.status).toBe(201);
      const { payload } = await jwtVerify((JSON.parse(response.body) as { token: string }).token, createLocalJWKSet(JSON.parse(jwks.body) as JSONWebKeySet));
      expect(payload.orgId).toBe('org_a');
      // The attackers went in the order they came; the callers served before stay open.
      await within((attackers[round] as RawConnection).closed, 2000, 'the stalest attacker closed');
      expect(attackers.map((attacker) => attacker.isClosed())).toEqual(attackers.map((_, index) => index <= round));
      expect(shed).toBe(round + 1);
    }
    expect(opened.filter((connection) => !attackers.includes(connection)).some((connection) => connection.isClosed())).toBe(false);
  });
});
