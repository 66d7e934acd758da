/**
 * Starts target servers as child processes, reads their port, and makes sure none outlives the bench.
 * Each target's stdout goes to a file, directly or (stdoutPipe) through a pipe that `cat` drains, a
 * process of its own as a container runtime's log reader is. Never through a pipe drained by this
 * process: autocannon keeps its event loop busy, so the pipe would be drained late, and the target's
 * logger would buffer ever more lines and slow down the longer a run lasts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TargetSpec } from './scenarios.js';

export interface RunningProcess {
  readonly pid: number;
  readonly url: string;
}

export interface RunningTarget {
  readonly spec: TargetSpec;
  /** The first (or only) process. */
  readonly pid: number;
  readonly url: string;
  /** Every process of the target (spec.replicas of them), the first one included. */
  readonly processes: readonly RunningProcess[];
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
  const logDir = mkdtempSync(join(tmpdir(), 'tokenvend-bench-'));
  let started = 0;

  async function start(spec: TargetSpec): Promise<RunningTarget> {
    const processes = await Promise.all(Array.from({ length: spec.replicas ?? 1 }, () => startProcess(spec)));
    const [first] = processes as [RunningTarget, ...RunningTarget[]];
    return { ...first, processes: processes.map(({ pid, url }) => ({ pid, url })), stderrTail: () => processes.map((p) => p.stderrTail()).filter(Boolean).join('\n') };
  }

  async function startProcess(spec: TargetSpec): Promise<RunningTarget> {
    const logFile = join(logDir, `${(started += 1)}.log`);
    const stdout = openSync(logFile, 'w');
    // With stdoutPipe, `cat` reads the target's stdout from a pipe and copies it to the file.
    const reader = spec.stdoutPipe ? spawn('cat', [], { stdio: ['pipe', stdout, 'ignore'] }) : undefined;
    const child = spawn(process.execPath, [spec.script], { env: spec.env, stdio: ['ignore', reader?.stdin ?? stdout, 'pipe'] });
    closeSync(stdout);
    // The target holds the pipe's write end now; cat ends when the target does.
    reader?.stdin?.destroy();
    children.add(child);
    child.once('exit', () => children.delete(child));
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
    });
    const stderrTail = () => stderr.trim();
    try {
      const port = await readListeningPort(child, logFile, startTimeoutMs);
      const url = `http://127.0.0.1:${port}`;
      return { spec, pid: child.pid as number, url, processes: [{ pid: child.pid as number, url }], stderrTail };
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
    rmSync(logDir, { recursive: true, force: true });
  }

  function killAll(): void {
    for (const child of children) child.kill('SIGKILL');
    rmSync(logDir, { recursive: true, force: true });
  }

  return { start, stopAll, killAll };
}

const POLL_MS = 50;

/** Waits until the target's log holds its `{"event":"listening","port":N}` line. */
async function readListeningPort(child: ChildProcess, logFile: string, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited before listening (${child.signalCode ?? `code ${child.exitCode}`})`);
    }
    for (const line of readFileSync(logFile, 'utf8').split('\n')) {
      const port = listeningPort(line);
      if (port !== undefined) return port;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`did not log "listening" within ${timeoutMs} ms`);
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
