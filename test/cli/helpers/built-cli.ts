/** Runs the built executable (dist/cli/main.js) as a user would; `npm run build` must have run. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CommandResult } from './memory-io.js';

export const CLI = fileURLToPath(new URL('../../../dist/cli/main.js', import.meta.url));

export function requireBuiltCli(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" (or npx tsc -p tsconfig.build.json) first`);
}

/** Nothing inherited but PATH, so a developer's PRIVATE_KEY never leaks into a test. */
export async function runBuiltCli(args: readonly string[], options: { env?: Record<string, string>; stdin?: string } = {}, timeoutMs = 15_000): Promise<CommandResult> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(options.stdin ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code: code ?? -1, stdout, stderr };
}
