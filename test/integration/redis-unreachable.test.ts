/**
 * An unreachable or refusing Redis says where and why: host:port (never the credentials of
 * REDIS_URL) and the cause (ECONNREFUSED, an authentication reply), at start and in every store error line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import request from 'supertest';
import { buildApp, type TestApp } from '../support/build-app.js';
import { callersJson, testCaller } from '../support/callers.js';
import { p256Key } from '../support/keys.js';
import { freePort } from '../support/redis-server.js';
import { until } from '../support/wait.js';
import { describeRedisError, redisAddress } from '../../src/rate-limit/describe-redis-error.js';

const web = testCaller('web-backend');
const PASSWORD = 'Redis-pw-that-must-not-leak';
const env = (redisUrl: string) => ({ NODE_ENV: 'production', PRIVATE_KEY: p256Key().pkcs8, CALLERS: callersJson(web), REDIS_URL: redisUrl });
const mint = (t: TestApp) => request(t.app).post('/tokens').set('Authorization', `Bearer ${web.key}`).send({ orgId: 'org_a' });

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

describe('describeRedisError and redisAddress', () => {
  it.each<[string, Error, string]>([
    ['an errno', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }), 'ECONNREFUSED'],
    ['a DNS failure', Object.assign(new Error('getaddrinfo ENOTFOUND cache'), { code: 'ENOTFOUND' }), 'ENOTFOUND'],
    ['a wrong password', new Error('WRONGPASS invalid username-password pair or user is disabled.'), 'WRONGPASS (authentication failed)'],
    ['no password', new Error('NOAUTH Authentication required.'), 'NOAUTH (authentication failed)'],
    ['a self-signed certificate', Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), 'TLS (DEPTH_ZERO_SELF_SIGNED_CERT)'],
    ['a TLS handshake failure', Object.assign(new Error('wrong version number'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }), 'TLS (ERR_SSL_WRONG_VERSION_NUMBER)'],
    ['a timeout', Object.assign(new Error('no answer within 1000 ms'), { name: 'StoreTimeoutError' }), 'StoreTimeoutError'],
  ])('%s → %s', (_name, error, cause) => {
    expect(describeRedisError(error)).toBe(cause);
  });

  it('gives host:port without the credentials', () => {
    expect(redisAddress(`redis://user:${PASSWORD}@cache.internal:6380/2`)).toBe('cache.internal:6380');
    expect(redisAddress(`rediss://:${PASSWORD}@cache.internal`)).toBe('cache.internal:6379');
  });
});

describe('an unreachable REDIS_URL', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('logs the address and ECONNREFUSED at start and in the store error line, never the password', async () => {
    const port = await freePort();
    t = await buildApp(env(`redis://tokenvend:${PASSWORD}@127.0.0.1:${port}`));
    const app = t;
    await until(() => app.logs.some((line) => line.event === 'redis.unreachable'), 5000, 'the redis.unreachable line');
    expect(app.logs.find((line) => line.event === 'redis.connecting')).toMatchObject({ redis: `127.0.0.1:${port}` });
    expect(app.logs.find((line) => line.event === 'redis.unreachable')).toMatchObject({ level: 'warn', redis: `127.0.0.1:${port}`, cause: 'ECONNREFUSED' });
    // Retries with the same cause add no line.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(app.logs.filter((line) => line.event === 'redis.unreachable')).toHaveLength(1);

    await mint(app).expect(201);
    expect(app.logs.find((line) => line.event === 'rate_limit.store_error')).toMatchObject({ redis: `127.0.0.1:${port}`, cause: 'ECONNREFUSED' });
    expect(app.rawLogs.join('\n')).not.toContain(PASSWORD);
  });
});

const describeWithRedis = onPath('redis-server') ? describe : describe.skip;
if (!onPath('redis-server')) console.warn('skipped: redis-server is not installed (Debian package: redis-server)');

describeWithRedis('a Redis that refuses the credentials (needs redis-server, Debian package redis-server)', () => {
  let server: ChildProcess;
  let port: number;
  let t: TestApp | undefined;
  beforeAll(async () => {
    port = await freePort();
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', 'the-right-one'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      server.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('Ready to accept connections')) resolve();
      });
      server.once('exit', (code) => reject(new Error(`redis-server exited with ${String(code)}: ${out}`)));
    });
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  afterAll(async () => {
    const exited = once(server, 'exit');
    server.kill('SIGKILL');
    await exited;
  });

  it('a wrong password: WRONGPASS at start and in the store error line', async () => {
    t = await buildApp(env(`redis://:${PASSWORD}@127.0.0.1:${port}`));
    const app = t;
    await until(() => app.logs.some((line) => line.event === 'redis.unreachable'), 5000, 'the redis.unreachable line');
    expect(app.logs.find((line) => line.event === 'redis.unreachable')).toMatchObject({ redis: `127.0.0.1:${port}`, cause: 'WRONGPASS (authentication failed)' });
    await mint(app).expect(201);
    expect(app.logs.find((line) => line.event === 'rate_limit.store_error')).toMatchObject({ redis: `127.0.0.1:${port}`, cause: 'WRONGPASS (authentication failed)' });
    expect(app.rawLogs.join('\n')).not.toContain(PASSWORD);
  });

  it('no password: the store error line says NOAUTH', async () => {
    t = await buildApp(env(`redis://127.0.0.1:${port}`));
    await mint(t).expect(201);
    expect(t.logs.find((line) => line.event === 'rate_limit.store_error')).toMatchObject({ error: 'NOAUTH (authentication failed)', redis: `127.0.0.1:${port}` });
  });
});
