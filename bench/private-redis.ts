/** A redis-server of the bench's own on a free loopback port, so the Redis rows never touch a shared one (or 6379). */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BenchRedis {
  readonly url: string;
  stop(): Promise<void>;
  /** Synchronous, for exit handlers. */
  kill(): void;
}

/**
 * @example
 * const redis = await startBenchRedis(); // redis.url = 'redis://127.0.0.1:40123'
 */
export async function startBenchRedis(): Promise<BenchRedis> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  await once(probe, 'close');
  const dir = mkdtempSync(join(tmpdir(), 'tokenvend-bench-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const failed = once(child, 'error').then(([error]) => {
    throw new Error(`cannot start redis-server (${(error as NodeJS.ErrnoException).code ?? 'error'}); install Debian's redis-server, or set BENCH_REDIS_URL`);
  });
  let out = '';
  const ready = new Promise<void>((resolve) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('Ready to accept connections')) resolve();
    });
  });
  await Promise.race([ready, failed]);
  const kill = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    kill,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      kill();
      await exited;
    },
  };
}
