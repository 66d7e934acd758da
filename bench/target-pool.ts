/** Starts target servers as child processes, reads their port, and makes sure none outlives the bench. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { TargetSpec } from './scenarios.js';

export interface RunningTarget {
  readonly spec: TargetSpec;
  readonly pid: number;
  readonly url: string;
  /** The last few KB the process wrote to stderr, for error messages. */
  stderrTail(): string;
}

export interface TargetPool {
  start(spec: TargetSpec): Promise<RunningTarget>;
  /** SIGTERM, then SIGKILL for any process still there after `graceMs`. */
  stopAll(graceMs?: number): Promise<void>;
  /** Synchronous last resort for exit and signal handlers. */
  killAll(): void;
}

const STDERR_TAIL_BYTES = 4096;

/**
 * @example
 * const pool = createTargetPool({ startTimeoutMs: 10_000 });
 * const target = await pool.start(spec);
 * await pool.stopAll();
 */
export function createTargetPool({ startTimeoutMs }: { startTimeoutMs: number }): TargetPool {
  const children = new Set<ChildProcess>();

  async function start(spec: TargetSpec): Promise<RunningTarget> {
    const child = spawn(process.execPath, [spec.script], { env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    child.once('exit', () => children.delete(child));
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
    });
    const stderrTail = () => stderr.trim();
    try {
      const port = await readListeningPort(child, startTimeoutMs);
      return { spec, pid: child.pid as number, url: `http://127.0.0.1:${port}`, stderrTail };
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`${spec.name}: ${(error as Error).message}${stderrTail() ? `\n--- stderr ---\n${stderrTail()}` : ''}`);
    }
  }

  async function stopAll(graceMs = 3000): Promise<void> {
    await Promise.all(
      [...children].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  function killAll(): void {
    for (const child of children) child.kill('SIGKILL');
  }

  return { start, stopAll, killAll };
}

/**
 * Waits for the `{"event":"listening","port":N}` line, then keeps draining stdout (discarding it) so the
 * child's logging never blocks on a full pipe and costs what it costs in production.
 */
function readListeningPort(child: ChildProcess, timeoutMs: number): Promise<number> {
  const stdout = child.stdout;
  if (!stdout) return Promise.reject(new Error('no stdout pipe'));
  return new Promise((resolve, reject) => {
    let buffered = '';
    const settle = (outcome: () => void): void => {
      clearTimeout(timer);
      stdout.off('data', onData);
      child.off('exit', onExit);
      stdout.resume();
      outcome();
    };
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const port = listeningPort(line);
        if (port !== undefined) return settle(() => resolve(port));
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      settle(() => reject(new Error(`exited before listening (${signal ?? `code ${code}`})`)));
    const timer = setTimeout(() => settle(() => reject(new Error(`did not log "listening" within ${timeoutMs} ms`))), timeoutMs);
    stdout.on('data', onData);
    child.once('exit', onExit);
  });
}

function listeningPort(line: string): number | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const entry = JSON.parse(line) as { event?: unknown; port?: unknown };
    return entry.event === 'listening' && typeof entry.port === 'number' ? entry.port : undefined;
  } catch {
    return undefined;
  }
}
