/**
 * The real process under connection pressure: a flood against a lowered file limit, and SIGTERM
 * under keep-alive load. Loopback only, bounded, ends by itself.
 */
import { callersJson, testCaller } from '../support/callers.js';
import { p256Key } from '../support/keys.js';
import { openRaw, parseResponses, within, type RawConnection } from '../support/raw-http.js';
import { startService, type RunningService } from '../support/spawn-service.js';
import { sleep } from '../support/wait.js';

const caller = testCaller('web-backend', { orgs: ['org_a'] });
const env = () => ({
  NODE_ENV: 'production',
  HOST: '127.0.0.1',
  PRIVATE_KEY: p256Key().pkcs8,
  CALLERS: callersJson(caller),
  ORG_ID: 'org_a',
  RATE_LIMIT_PER_MINUTE: '100000000',
  LOG_LEVEL: 'info',
});
const MINT = `POST /tokens HTTP/1.1\r\nHost: tokenvend\r\nAuthorization: Bearer ${caller.key}\r\nContent-Length: 0\r\n\r\n`;

describe('a connection flood against a lowered file limit (ulimit -n 256)', () => {
  let service: RunningService;
  const flood: RawConnection[] = [];
  beforeAll(async () => {
    service = await startService(env(), 10_000, [], 'ulimit -n 256');
  });
  afterAll(async () => {
    for (const connection of flood) connection.socket.destroy();
    await service.stop();
  });

  it('lowers the cap below the limit and keeps serving valid callers while 600 connections hold on', async () => {
    expect(service.logs().find((line) => line.event === 'connections.cap_lowered')).toMatchObject({ maxConnections: 192, fileLimit: 256 });
    for (let wave = 0; wave < 3; wave += 1) {
      flood.push(...(await Promise.all(Array.from({ length: 200 }, () => openRaw(service.port)))));
      // Some of them begin a request and stall (slowloris), the rest send nothing.
      for (const connection of flood.slice(-100)) connection.socket.write('POST /tokens HTTP/1.1\r\nHost: x\r\n');
    }
    await sleep(100);
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const res = await fetch(`${service.baseUrl}/tokens`, { method: 'POST', headers: { Authorization: `Bearer ${caller.key}` } });
      expect(res.status).toBe(201);
    }
    expect(service.child.exitCode).toBeNull();
  });
});

/** Whether `count` responses arrived on the connection before it closed (or 10 s passed). */
async function waitForResponses(connection: RawConnection, count: number): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (parseResponses(connection.received()).length < count && !connection.isClosed() && Date.now() < deadline) await sleep(5);
  return parseResponses(connection.received()).length >= count;
}

/** One keep-alive connection sending requests back to back, noting which were written before the signal. */
async function keepAliveLoop(port: number, signalled: () => boolean, outcome: { sentBefore: number; failedBefore: number; answered: number }): Promise<void> {
  let connection: RawConnection;
  try {
    connection = await openRaw(port);
  } catch {
    return;
  }
  let seen = 0;
  for (;;) {
    const before = !signalled();
    if (before) outcome.sentBefore += 1;
    connection.socket.write(MINT);
    const next = seen + 1;
    const deadline = Date.now() + 10_000;
    while (parseResponses(connection.received()).length < next && !connection.isClosed() && Date.now() < deadline) await sleep(1);
    const got = parseResponses(connection.received()).length >= next;
    if (!got) {
      if (before) outcome.failedBefore += 1;
      connection.socket.destroy();
      return;
    }
    seen = next;
    outcome.answered += 1;
    const response = parseResponses(connection.received())[seen - 1];
    if (response?.headers['connection'] === 'close') {
      connection.socket.destroy();
      return;
    }
  }
}

describe('SIGTERM under keep-alive load', () => {
  it('answers every request written before the signal, then exits 0', async () => {
    const service = await startService(env());
    let signalled = false;
    const outcome = { sentBefore: 0, failedBefore: 0, answered: 0 };
    // Kept-alive connections that have had one answer and sit idle. A request written on each just
    // before the signal, still on the wire when the service takes the signal, is what a drain that
    // closes idle connections at once drops: modelled exactly by writing it once the service says it drains.
    const idle = await Promise.all(Array.from({ length: 50 }, () => openRaw(service.port)));
    for (const connection of idle) connection.socket.write(MINT);
    await within(Promise.all(idle.map((connection) => waitForResponses(connection, 1))), 10_000, 'the first answers');
    const loops = Array.from({ length: 20 }, () => keepAliveLoop(service.port, () => signalled, outcome));
    await sleep(1000);
    signalled = true;
    const exited = service.stop('SIGTERM');
    await service.waitForLog((line) => line.event === 'shutdown');
    for (const connection of idle) connection.socket.write(MINT);
    await within(Promise.all(loops), 15_000, 'the keep-alive clients finishing');
    const lastAnswers = await Promise.all(idle.map((connection) => waitForResponses(connection, 2)));
    expect(lastAnswers.filter((answered) => !answered)).toEqual([]);
    const answers = idle.map((connection) => parseResponses(connection.received())[1]);
    expect(answers.map((response) => [response?.status, response?.headers['connection']])).toEqual(idle.map(() => [201, 'close']));
    expect(await exited).toBe(0);
    // Nothing was left for the hard grace to cut.
    expect(service.logs().filter((line) => line.event === 'shutdown.forced')).toEqual([]);
    expect(outcome.sentBefore).toBeGreaterThan(30);
    expect(outcome.failedBefore).toBe(0);
  }, 30_000);
});
