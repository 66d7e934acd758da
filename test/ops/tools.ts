/**
 * Runs the command-line tools the ops tests rely on and reads YAML. Suites that call `run(tool)`
 * sit inside `describeWithPrograms([tool], …)`, so a machine without the tool skips them.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { programPath, type ProgramName } from '../support/outside-programs.js';

const execFileAsync = promisify(execFile);

/** The repository root, whatever directory jest was started from. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ToolOutput {
  stdout: string;
  stderr: string;
}

function isErrnoException(value: unknown): value is NodeJS.ErrnoException & { stdout?: string; stderr?: string } {
  return value instanceof Error && 'code' in value;
}

/**
 * Runs `tool args...` in the repository root and resolves with its output; rejects with the
 * tool's own output when it exits non-zero, and with the package to install when it is missing.
 */
export async function run(tool: ProgramName, args: readonly string[], input?: string): Promise<ToolOutput> {
  const pending = execFileAsync(programPath(tool), args, { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024, timeout: 60_000 });
  if (input !== undefined) pending.child.stdin?.end(input);
  try {
    const { stdout, stderr } = await pending;
    return { stdout, stderr };
  } catch (error) {
    if (isErrnoException(error)) {
      throw new Error(`${tool} ${args.join(' ')} failed (${String(error.code)}):\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
    }
    throw error;
  }
}

/** Parses YAML text into plain JSON values (the `yaml` package: no outside program needed). */
export async function parseYaml(text: string): Promise<unknown> {
  return JSON.parse(JSON.stringify(parse(text))) as unknown;
}

/** Narrows a parsed value to an object, naming what was expected when it is not one. */
export function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${what}: expected a mapping, got ${JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

/** Narrows a parsed value to an array; a missing value counts as empty. */
export function asArray(value: unknown, what: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list, got ${JSON.stringify(value)}`);
  return value;
}

/** Narrows a parsed value to a string. */
export function asString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what}: expected a string, got ${JSON.stringify(value)}`);
  return value;
}
