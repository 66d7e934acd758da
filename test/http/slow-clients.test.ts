/**
 * Slow and greedy clients against the served app (createAppServer, as the service serves it):
 * slowloris headers, trickled bodies, declared-huge bodies, connection floods, answers never read.
 * Each attack fails against Node's defaults (60 s header timeout checked every 30 s, 300 s request
 * timeout, no connection cap, bodies drained after a refusal, no socket timeout); the last test
 * checks that a client reading slowly is not taken for one that reads nothing.
 */
import { buildApp, type TestApp } from '../support/build-app.js';
import { callersJson, testCaller } from '../support/callers.js';
import { p256Key } from '../support/keys.js';
import { openRaw, parseResponse, parseResponses, trickle, within, type RawConnection } from '../support/raw-http.js';
import { serveOnLoopback, type ServedApp } from '../support/serve-app.js';
import { sleep, until } from '../support/wait.js';

const web = testCaller('web-backend');
const LIMITS = { headersTimeoutMs: 400, requestTimeoutMs: 800, timeoutCheckIntervalMs: 100, maxConnections: 20, maxRequestsPerSocket: 3 };

let t: TestApp;
let served: ServedApp;
let port: number;
const opened: RawConnection[] = [];

beforeAll(async () => {
  t = await buildApp({ NODE_ENV: 'production', PRIVATE_KEY: p256Key().pkcs8, CALLERS: callersJson(web), ORG_ID: 'org_a' });
  served = await serveOnLoopback(t.app, LIMITS);
  port = Number(new URL(served.base).port);
});
afterEach(() => {
  for (const connection of opened.splice(0)) connection.socket.destroy();
});
afterAll(async () => {
  await served.close();
  await t.close();
});

async function raw(): Promise<RawConnection> {
  const connection = await openRaw(port);
  opened.push(connection);
  return connection;
}

function mintRequest(headers: Record<string, string>, body = ''): string {
  return `POST /tokens HTTP/1.1\r\nHost: tokenvend\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n${body}`;
}

const problemOf = (response: { body: string }) => JSON.parse(response.body) as Record<string, unknown>;

describe('slow clients are cut off by the header and request timeouts', () => {
  it('slowloris: headers trickled a byte at a time get 408 problem+json and the connection closed', async () => {
    const connection = await raw();
    connection.socket.write('POST /tokens HTTP/1.1\r\nHost: tokenvend\r\n');
    void trickle(connection, `X-Padding: ${'a'.repeat(500)}\r\n`, 50);
    const response = parseResponse(await within(connection.closed, 5000, 'the server closing a slowloris connection'));
    expect(response.status).toBe(408);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.headers['connection']).toBe('close');
    expect(problemOf(response)).toEqual({
      type: 'urn:tokenvend:problem:request-timeout',
      title: 'Request timeout',
      status: 408,
      detail: "The request did not arrive within the server's time limit",
      code: 'ERR_TOKENVEND_REQUEST_TIMEOUT',
    });
  });

  it('a body trickled after a valid key gets 408 and the connection closed', async () => {
    const connection = await raw();
    const body = JSON.stringify({ orgId: 'org_a', padding: 'x'.repeat(200) });
    connection.socket.write(mintRequest({ Authorization: `Bearer ${web.key}`, 'Content-Type': 'application/json', 'Content-Length': String(body.length) }));
    void trickle(connection, body, 50);
    const response = parseResponse(await within(connection.closed, 5000, 'the server closing a trickled body'));
    expect(response.status).toBe(408);
    expect(problemOf(response)).toMatchObject({ code: 'ERR_TOKENVEND_REQUEST_TIMEOUT' });
  });

  it('a body trickled after a wrong key gets 401 with "Connection: close", and the body is not drained', async () => {
    const connection = await raw();
    connection.socket.write(mintRequest({ Authorization: 'Bearer not-a-key', 'Content-Type': 'application/json', 'Content-Length': '3000' }));
    void trickle(connection, 'x'.repeat(3000), 20);
    // Closed long before the 3000 bytes (60 s at this pace) or any timeout could have run out.
    const response = parseResponse(await within(connection.closed, 2000, 'the server closing after 401'));
    expect(response.status).toBe(401);
    expect(response.headers['connection']).toBe('close');
    expect(problemOf(response)).toMatchObject({ code: 'ERR_TOKENVEND_UNAUTHENTICATED' });
  });

  it('a body declared larger than 4 KiB gets 413 at once, before authentication, without a byte of it being read', async () => {
    const connection = await raw();
    connection.socket.write(mintRequest({ Authorization: `Bearer ${web.key}`, 'Content-Type': 'application/json', 'Content-Length': '200000000' }));
    const response = parseResponse(await within(connection.closed, 2000, 'the server answering a declared 200 MB body'));
    expect(response.status).toBe(413);
    expect(response.headers['connection']).toBe('close');
    expect(problemOf(response)).toMatchObject({ code: 'ERR_TOKENVEND_PAYLOAD_TOO_LARGE', detail: 'The request body exceeds 4 KiB' });
  });

  it('the same holds without a key: the size is refused before authentication counts a failure', async () => {
    const connection = await raw();
    connection.socket.write(mintRequest({ 'Content-Type': 'application/json', 'Content-Length': '200000000' }));
    const response = parseResponse(await within(connection.closed, 2000, 'the server answering a declared 200 MB body'));
    expect(response.status).toBe(413);
  });

  it('"Expect: 100-continue" with a declared body over 4 KiB gets 413 and no 100 Continue', async () => {
    const connection = await raw();
    connection.socket.write(mintRequest({ Authorization: `Bearer ${web.key}`, 'Content-Type': 'application/json', 'Content-Length': '5000', Expect: '100-continue' }));
    const received = await within(connection.closed, 2000, 'the server answering');
    expect(received.startsWith('HTTP/1.1 413 ')).toBe(true);
  });

  it('415 closes the connection too', async () => {
    const connection = await raw();
    connection.socket.write(mintRequest({ Authorization: `Bearer ${web.key}`, 'Content-Type': 'text/plain', 'Content-Length': '3000' }));
    const response = parseResponse(await within(connection.closed, 2000, 'the server closing after 415'));
    expect(response.status).toBe(415);
    expect(response.headers['connection']).toBe('close');
  });
});

describe('a 429 closes the connection', () => {
  it('the caller over its limit gets 429 with "Connection: close" on its kept-alive connection, which is then closed', async () => {
    const limited = await buildApp({ NODE_ENV: 'production', PRIVATE_KEY: p256Key().pkcs8, CALLERS: callersJson(web), ORG_ID: 'org_a', RATE_LIMIT_PER_MINUTE: '1' });
    const server = await serveOnLoopback(limited.app);
    const connection = await openRaw(Number(new URL(server.base).port));
    try {
      const mint = mintRequest({ Authorization: `Bearer ${web.key}`, 'Content-Type': 'application/json', 'Content-Length': '2' }, '{}');
      connection.socket.write(mint);
      await within(
        (async () => {
          while (!connection.received().includes('\r\n\r\n{')) await sleep(5);
        })(),
        3000,
        'the first answer',
      );
      expect(parseResponse(connection.received()).status).toBe(201);
      connection.socket.write(mint);
      const received = await within(connection.closed, 3000, 'the server closing after 429');
      const second = received.slice(received.indexOf('HTTP/1.1', 1));
      expect(parseResponse(second).status).toBe(429);
      expect(parseResponse(second).headers['connection']).toBe('close');
    } finally {
      connection.socket.destroy();
      await server.close();
      await limited.close();
    }
  });
});

describe('requests per connection', () => {
  it('a client that pipelines past the allowance gets its allowance answered, the last with "Connection: close", then the connection closed: no 503', async () => {
    const connection = await raw();
    const request = mintRequest({ Authorization: `Bearer ${web.key}`, 'Content-Length': '0' });
    connection.socket.write(request.repeat(LIMITS.maxRequestsPerSocket + 3));
    const responses = parseResponses(await within(connection.closed, 5000, 'the server closing the connection after its last allowed request'));
    expect(responses.map((response) => response.status)).toEqual(Array.from({ length: LIMITS.maxRequestsPerSocket }, () => 201));
    expect(responses.at(-1)?.headers['connection']).toBe('close');
  });

  it('a client that ignores "Connection: close" and writes on gets no answer but the closed connection', async () => {
    const connection = await raw();
    const request = mintRequest({ Authorization: `Bearer ${web.key}`, 'Content-Length': '0' });
    for (let sent = 0; sent < LIMITS.maxRequestsPerSocket + 3 && !connection.isClosed(); sent += 1) {
      const answered = parseResponses(connection.received()).length;
      connection.socket.write(request);
      await until(() => parseResponses(connection.received()).length > answered || connection.isClosed(), 5000, 'an answer or the close');
    }
    const responses = parseResponses(await within(connection.closed, 5000, 'the server closing the connection'));
    expect(responses.map((response) => response.status)).toEqual(Array.from({ length: LIMITS.maxRequestsPerSocket }, () => 201));
  });
});

describe('the connection cap', () => {
  it('a flood of idle connections above the cap does not keep a valid caller out', async () => {
    const flood = await Promise.all(Array.from({ length: 3 * LIMITS.maxConnections }, () => raw()));
    // Half of them begin a request and stall, as slowloris does.
    for (const connection of flood.slice(0, flood.length / 2)) connection.socket.write('POST /tokens HTTP/1.1\r\n');
    await sleep(50);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const res = await fetch(`${served.base}/tokens`, { method: 'POST', headers: { Authorization: `Bearer ${web.key}` } });
      expect(res.status).toBe(201);
    }
    // The oldest were closed to make room; never more than the cap stayed open.
    expect(flood.filter((connection) => connection.isClosed()).length).toBeGreaterThanOrEqual(flood.length - LIMITS.maxConnections);
  });
});

describe('a client that reads none of its answers', () => {
  const SEND_TIMEOUT_MS = 1000;
  let capped: TestApp;
  let cappedServer: ServedApp;
  let cappedPort: number;
  let stalled = 0;
  /** Requests the capped server has begun answering. */
  let begun = 0;

  beforeAll(async () => {
    capped = await buildApp({ NODE_ENV: 'production', PRIVATE_KEY: p256Key().pkcs8, CALLERS: callersJson(web), ORG_ID: 'org_a' });
    // Room for every connection: at the cap a reader that reads nothing is shed at once (connection-guard-held.test.ts); below it, the send timeout ends it.
    cappedServer = await serveOnLoopback(capped.app, { ...LIMITS, maxRequestsPerSocket: 1000, sendTimeoutMs: SEND_TIMEOUT_MS, onSendTimeout: () => void (stalled += 1) });
    cappedPort = Number(new URL(cappedServer.base).port);
    cappedServer.server.on('request', () => void (begun += 1));
  });
  afterAll(async () => {
    await cappedServer.close();
    await capped.close();
  });

  /** The body of `path` as a raw connection receives it (latin1, one character a byte). */
  async function bodyOf(path: string): Promise<string> {
    const res = await fetch(`${cappedServer.base}${path}`, { headers: { connection: 'close' } });
    expect(res.status).toBe(200);
    return Buffer.from(await res.arrayBuffer()).toString('latin1');
  }

  /** Whether a caller on a new connection gets its token (the cap closes the connection at once when it has no room). */
  async function callerServed(): Promise<boolean> {
    const connection = await openRaw(cappedPort);
    try {
      connection.socket.write(mintRequest({ Authorization: `Bearer ${web.key}`, 'Content-Length': '0' }));
      await until(() => connection.received().includes('"token"') || connection.isClosed(), 3000, 'an answer or the close');
      return !connection.isClosed() && parseResponse(connection.received()).status === 201;
    } finally {
      connection.socket.destroy();
    }
  }

  // On loopback the kernel keeps about 4 MB of answers nobody reads before the writes stall (here;
  // up to the maximum of net.ipv4.tcp_wmem, across a network far less), so the attack asks for
  // several times that. /docs is the largest answer (2.6 MB); a token's is about 1 KB.
  it.each([
    ['GET /docs, eight times', '/docs', 8],
    ['GET /openapi.yaml, 300 times', '/openapi.yaml', 300],
  ])('%s, pipelined and never read: the connection is reset once nothing has moved on it for the send timeout, and callers are served meanwhile', async (_name, path, times) => {
    const whole = times * (await bodyOf(path)).length;
    const [stalledBefore, begunBefore] = [stalled, begun];
    const reader = await openRaw(cappedPort);
    opened.push(reader);
    reader.socket.pause();
    reader.socket.write(`GET ${path} HTTP/1.1\r\nHost: tokenvend\r\n\r\n`.repeat(times));
    await until(() => begun > begunBefore, 2000, 'the server answering the reader');
    const asked = Date.now();
    expect(await callerServed()).toBe(true);
    // Without the send timeout the reader's connection, and the answers due on it, stay for good.
    await until(() => stalled > stalledBefore, 2 * SEND_TIMEOUT_MS + 1500, 'the reader reset by the send timeout');
    expect(Date.now() - asked).toBeGreaterThanOrEqual(SEND_TIMEOUT_MS - 10);
    expect(stalled - stalledBefore).toBe(1);
    // Reset: what the reader's kernel had taken is all it gets.
    reader.socket.resume();
    expect((await within(reader.closed, 2000, 'the reader seeing the reset')).length).toBeLessThan(whole);
  });

  it('a client that reads its answers slowly but steadily, for longer than twice the send timeout, gets every byte', async () => {
    const docs = await bodyOf('/docs');
    const before = stalled;
    const reader = await openRaw(cappedPort);
    opened.push(reader);
    // 64 KiB a read at most, a read every 10 ms: a few MB/s, so that six pages (16 MB) take seconds.
    reader.socket.on('data', () => {
      reader.socket.pause();
      setTimeout(() => reader.socket.resume(), 10);
    });
    const get = 'GET /docs HTTP/1.1\r\nHost: tokenvend\r\n';
    const started = Date.now();
    reader.socket.write(`${`${get}\r\n`.repeat(5)}${get}Connection: close\r\n\r\n`);
    const responses = parseResponses(await within(reader.closed, 15_000, 'every answer read'));
    expect(Date.now() - started).toBeGreaterThan(2 * SEND_TIMEOUT_MS);
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200, 200]);
    // Compared by length and ends: toEqual on six 2.6 MB strings would print them all on a failure.
    for (const response of responses) expect([response.body.length, response.body.slice(0, 100), response.body.slice(-100)]).toEqual([docs.length, docs.slice(0, 100), docs.slice(-100)]);
    expect(stalled).toBe(before);
  });
});
