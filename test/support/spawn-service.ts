/** Starts the real tokenvend process (dist/server/main.js) on a free loopback port and watches its output. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { until } from './wait.js';

export const MAIN = fileURLToPath(new URL('../../dist/server/main.js', import.meta.url));

export interface RunningService {
  readonly child: ChildProcess;
  readonly port: number;
  readonly baseUrl: string;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Parsed JSON log lines so far. */
  readonly logs: () => Array<Record<string, unknown>>;
  /** Resolves with the first log line that matches (the log reaches this process through a pipe, a little after the event). */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ExitedProcess {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Environment for the child: nothing inherited but PATH, so a developer's own variables never leak in. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', PORT: '0', ...env };
}

function collect(child: ChildProcess) {
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  return { stdout: () => out, stderr: () => err };
}

/** Runs the process until it exits by itself (start-up errors); fails after `timeoutMs`. */
export async function runToExit(env: Record<string, string>, timeoutMs = 10_000): Promise<ExitedProcess> {
  const child = spawn(process.execPath, [MAIN], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const output = collect(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}

/**
 * Starts the service (under `nodeFlags`, if any) and resolves once it logs that it listens.
 * `shellPrefix` runs first in the same shell, which then execs node (`ulimit -n 256`).
 */
export async function startService(env: Record<string, string>, timeoutMs = 10_000, nodeFlags: readonly string[] = [], shellPrefix?: string): Promise<RunningService> {
  const args = [...nodeFlags, MAIN];
  const child =
    shellPrefix === undefined
      ? spawn(process.execPath, args, { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('sh', ['-c', `${shellPrefix}; exec "$0" "$@"`, process.execPath, ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const output = collect(child);
  const exited = once(child, 'exit');
  const logs = () =>
    output
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no "listening" line within ${timeoutMs} ms: ${output.stderr()}`));
    }, timeoutMs);
    const check = () => {
      const listening = logs().find((line) => line.event === 'listening');
      if (listening) {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolve(listening.port as number);
      }
    };
    child.stdout?.on('data', check);
    void exited.then(([code]) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${String(code)} before listening: ${output.stderr()}`));
    });
  });
  return {
    child,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    ...output,
    logs,
    async waitForLog(match, waitMs = 5000) {
      await until(() => logs().some(match), waitMs, 'a matching log line');
      return logs().find(match) as Record<string, unknown>;
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}
