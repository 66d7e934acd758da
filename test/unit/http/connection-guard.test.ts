/**
 * The connection cap (connection-guard.ts) as the service serves it (createAppServer): at the cap, a
 * connection whose request is being answered is never the one closed. A route that answers only
 * when the test says holds a response in flight for as long as a test needs, with no timing to guess.
 */
import express, { type Response } from 'express';
import { openRaw, parseResponse, within, type RawConnection } from '../../support/raw-http.js';
import { serveOnLoopback, type ServedApp } from '../../support/serve-app.js';
import { until } from '../../support/wait.js';

const CAP = 3;

let served: ServedApp;
let port: number;
/** Responses of GET /held, not yet answered: in flight, as a request awaiting its signature or Redis is. */
let held: Response[];
let accepted: number;
let shed: number;
const opened: RawConnection[] = [];

beforeEach(async () => {
  held = [];
  accepted = 0;
  shed = 0;
  const app = express();
  app.get('/held', (_req, res) => void held.push(res));
  app.get('/quick', (_req, res) => void res.send('quick'));
  served = await serveOnLoopback(app, { maxConnections: CAP, onConnectionShed: () => void (shed += 1) });
  port = Number(new URL(served.base).port);
  // After the guard's own listener: counts every connection the server has seen, kept or not.
  served.server.on('connection', () => void (accepted += 1));
});
afterEach(async () => {
  for (const connection of opened.splice(0)) connection.socket.destroy();
  await served.close();
});

async function raw(): Promise<RawConnection> {
  const connection = await openRaw(port);
  opened.push(connection);
  return connection;
}

/** Opens a connection and begins GET /held on it; resolves once the app holds its response. */
async function inFlight(): Promise<RawConnection> {
  const connection = await raw();
  const before = held.length;
  connection.socket.write('GET /held HTTP/1.1\r\nHost: tokenvend\r\n\r\n');
  await until(() => held.length > before, 2000, 'the app holding the response');
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
    // The newcomer was kept: it is served.
    newcomer.socket.write('GET /quick HTTP/1.1\r\nHost: tokenvend\r\n\r\n');
    await until(() => newcomer.received().includes('quick'), 2000, 'the newcomer answered');
    expect(parseResponse(newcomer.received())).toMatchObject({ status: 200, body: 'quick' });
    await answerAll(answering);
  });
});
