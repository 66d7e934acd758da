/**
 * Review of the connection cap (connection-guard.ts): requests that have arrived whole are kept at
 * the cap, so a client that can keep such a request "being answered" for as long as it likes would
 * hold a slot as surely as the trickled bodies the cap sheds. Two ways, each needing no credential:
 * - its answers are never read: GET /docs (about 2.6 MB) pipelined a few times fills the socket
 *   buffers and the response stays unfinished; at the cap such a connection is now shed at once
 *   (below it, the send timeout of send-timeout.ts ends it after a minute);
 * - it names a private_key_jwt client whose `jwksUri` does not answer (an outage, or the client's
 *   own server): the key lookup comes before the signature check, so an unsigned assertion waited
 *   for the fetch's timeout, and a new one waited again (now: at most 16 waiters per URI and 64 in all, a 2.5 s timeout,
 *   and a 30 s cooldown after a failed fetch, src/oauth/remote-key-set.ts).
 * With every slot held either way, the caller below was turned away: each test fails on the code
 * at a5991b1 with the caller's connection closed unanswered.
 */
import { once } from 'node:events';
import { connect, createServer, type Server as NetServer, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { DOCS_FILE } from '../../../src/http/routes/docs.js';
import { MAX_WAITING_PER_URI } from '../../../src/oauth/remote-key-set.js';
import { buildApp, type TestApp } from '../../support/build-app.js';
import { callersJson, testCaller } from '../../support/callers.js';
import { JWT_BEARER } from '../../support/client-assertions.js';
import { p256Key } from '../../support/keys.js';
import { openRaw, parseResponse, type RawConnection } from '../../support/raw-http.js';
import { serveOnLoopback, type ServedApp } from '../../support/serve-app.js';
import { until } from '../../support/wait.js';

const CAP = 3;
const PUBLIC_URL = 'https://tokens.example';
const web = testCaller('web-backend');
const body = JSON.stringify({ orgId: 'org_a' });

let t: TestApp;
let served: ServedApp;
let port: number;
/** The server's side of every connection it kept, in the order they came. */
let serverSockets: Socket[];
let begun: number;
const clientSockets: Socket[] = [];

async function serveCapped(app: TestApp['app'], cap = CAP): Promise<void> {
  served = await serveOnLoopback(app, { maxConnections: cap });
  port = Number(new URL(served.base).port);
  serverSockets = [];
  begun = 0;
  served.server.on('connection', (socket: Socket) => void serverSockets.push(socket));
  served.server.on('request', () => void (begun += 1));
}

/** A connection that writes `text` and never reads what comes back. */
async function neverReading(text: string): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  clientSockets.push(socket);
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.pause();
  socket.write(text);
  return socket;
}

/** The caller: POST /tokens on a new connection; resolves with what it received once answered or closed. */
async function callerAsksForToken(): Promise<RawConnection> {
  const caller = await openRaw(port);
  clientSockets.push(caller.socket);
  caller.socket.write(`POST /tokens HTTP/1.1\r\nHost: tokenvend\r\nAuthorization: Bearer ${web.key}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  await until(() => caller.received().includes('"token"') || caller.isClosed(), 3000, "the caller's answer");
  return caller;
}

afterEach(async () => {
  for (const socket of clientSockets.splice(0)) socket.destroy();
  await served.close();
});

describe("requests that wait on a client's jwksUri that does not answer", () => {
  let hanging: NetServer;
  let fetches: Socket[];

  beforeAll(async () => {
    fetches = [];
    // Accepts the fetch and never answers it, as a host that is down behind a load balancer does.
    hanging = createServer((socket) => void fetches.push(socket.on('error', () => undefined))).listen(0, '127.0.0.1');
    await once(hanging, 'listening');
    const jwksUri = `http://127.0.0.1:${(hanging.address() as { port: number }).port}/jwks.json`;
    const partner = { entry: { id: 'partner', orgs: ['*'], jwksUri } };
    t = await buildApp({ NODE_ENV: 'production', PRIVATE_KEY: p256Key().pkcs8, CALLERS: JSON.stringify([web.entry, partner.entry]), ORG_ID: 'org_a', PUBLIC_URL });
  });
  afterAll(async () => {
    for (const socket of fetches) socket.destroy();
    await new Promise((resolve) => hanging.close(resolve));
    await t.close();
  });

  it('do not hold every slot: a caller still gets its token while unsigned assertions naming that client wait', async () => {
    // More slots than may wait on one fetch: the attacker sends one request per slot.
    const cap = MAX_WAITING_PER_URI + 2;
    await serveCapped(t.app, cap);
    const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < cap; i += 1) {
      // Signed by no one: the signature is never reached, the key lookup waits on the fetch.
      const assertion = `${encode({ alg: 'ES256', kid: 'k' })}.${encode({ iss: 'partner', sub: 'partner', aud: `${PUBLIC_URL}/oauth/token`, exp: now + 60, jti: randomBytes(8).toString('hex') })}.${randomBytes(64).toString('base64url')}`;
      const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: 'partner', client_assertion_type: JWT_BEARER, client_assertion: assertion }).toString();
      await neverReading(`POST /oauth/token HTTP/1.1\r\nHost: tokenvend\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\n\r\n${form}`);
    }
    await until(() => begun === cap && fetches.length > 0, 3000, 'every assertion waiting on the jwksUri fetch, or told to retry');

    const caller = await callerAsksForToken();
    expect(caller.received()).toMatch(/^HTTP\/1\.1 201 /);
    expect(parseResponse(caller.received()).status).toBe(201);
  });
});

describe('a client that never reads its answers', () => {
  beforeAll(async () => {
    t = await buildApp({ NODE_ENV: 'production', PRIVATE_KEY: p256Key().pkcs8, CALLERS: callersJson(web), ORG_ID: 'org_a' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('does not hold a slot: with every slot held by unread GET /docs answers, a caller still gets its token', async () => {
    expect(existsSync(DOCS_FILE)).toBe(true);
    await serveCapped(t.app);
    for (let i = 0; i < CAP; i += 1) await neverReading('GET /docs HTTP/1.1\r\nHost: tokenvend\r\n\r\n'.repeat(3));
    // Every answer is stuck in the socket buffers: the server has bytes it cannot hand to the kernel.
    await until(() => serverSockets.length === CAP && serverSockets.every((socket) => socket.writableLength > 0), 5000, 'every /docs answer backed up');

    const caller = await callerAsksForToken();
    expect(caller.received()).toMatch(/^HTTP\/1\.1 201 /);
    expect(parseResponse(caller.received()).status).toBe(201);
  });
});
