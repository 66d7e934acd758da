/**
 * A private redis-server on a free loopback port, started and stopped by the test that uses it: no
 * test touches a Redis someone else started (the machine's 6379 included). Use it inside
 * `describeWithPrograms(['redis-server'], …)` so that a machine without Redis skips the suite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { programPath } from './outside-programs.js';

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** SIGSTOP: the port stays open, nothing answers. */
  pause(): void;
  resume(): void;
}

/**
 * A redis-server on a free loopback port, not yet started (outage tests start it late, stop and
 * restart it on the same port).
 *
 * @example
 * const redis = await privateRedis();
 * await redis.start();
 * afterAll(() => redis.stop());
 */
export async function privateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const self: PrivateRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      child = spawn(programPath('redis-server'), ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      await new Promise<void>((resolve, reject) => {
        child?.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
          if (out.includes('Ready to accept connections')) resolve();
        });
        child?.once('exit', (code) => reject(new Error(`redis-server exited with ${String(code)}: ${out}`)));
      });
    },
    async stop() {
      if (!child || child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    },
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
  };
  return self;
}

/**
 * A started private redis-server; stop it in afterAll/afterEach.
 *
 * @example
 * const redis = await startRedis();
 * buildApp({ ...env, REDIS_URL: redis.url });
 */
export async function startRedis(): Promise<PrivateRedis> {
  const redis = await privateRedis();
  await redis.start();
  return redis;
}
