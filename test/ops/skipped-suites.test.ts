/**
 * The bare-machine contract of `npm test`: a suite whose outside program is missing is skipped and
 * named in one closing line with its Debian package; under TOKENVEND_REQUIRE_ALL_SUITES=1 (.ci/run)
 * the same run fails. Jest runs a fixture suite in a child process with an empty PATH.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { PROGRAMS, REQUIRE_ALL_SUITES_VARIABLE } from '../support/outside-programs.js';
import { tempDir } from '../support/temp-dir.js';
import { repoRoot } from './tools.js';

interface JestRun {
  code: number;
  output: string;
}

async function runFixture(extraEnv: Record<string, string>): Promise<JestRun> {
  const env = { HOME: process.env.HOME ?? '/', PATH: tempDir('tokenvend-empty-path-'), ...extraEnv };
  const args = [
    '--experimental-vm-modules',
    path.join(repoRoot, 'node_modules', 'jest', 'bin', 'jest.js'),
    '--testMatch',
    '<rootDir>/test/ops/fixtures/skip-summary/*.fixture.ts',
    '--no-cache',
    '--runInBand',
  ];
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, { cwd: repoRoot, env, timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('suites that need a missing outside program', () => {
  it('are skipped, the run passes, and one closing line names each with its Debian package', async () => {
    const run = await runFixture({});
    expect(run.code).toBe(0);
    const summary = run.output.split('\n').filter((line) => line.startsWith('skipped '));
    expect(summary).toEqual([
      'skipped 1 suite for missing programs (TOKENVEND_REQUIRE_ALL_SUITES=1 makes this fail): ' +
        'test/ops/fixtures/skip-summary/needs-redis.fixture.ts (redis-server: apt-get install redis-server; promtool: apt-get install prometheus)',
    ]);
    expect(run.output).toMatch(/Tests:\s+1 skipped, 1 passed, 2 total/);
  }, 90_000);

  it('fail the run under TOKENVEND_REQUIRE_ALL_SUITES=1, naming the packages', async () => {
    const run = await runFixture({ TOKENVEND_REQUIRE_ALL_SUITES: '1' });
    expect(run.code).toBe(1);
    expect(run.output).toContain('TOKENVEND_REQUIRE_ALL_SUITES is set and this suite needs redis-server: apt-get install redis-server; promtool: apt-get install prometheus');
    expect(run.output).not.toMatch(/^skipped /m);
  }, 90_000);
});

describe('.ci/run', () => {
  it('installs the Debian package of every program a suite may need, then runs npm test requiring every suite', async () => {
    const script = await readFile(path.join(repoRoot, '.ci', 'run'), 'utf8');
    const installed = new Set(script.match(/^packages=\(([^)]*)\)/m)?.[1]?.split(/\s+/).filter(Boolean));
    for (const extra of script.matchAll(/packages\+=\(([^)]*)\)/g)) for (const name of (extra[1] ?? '').split(/\s+/).filter(Boolean)) installed.add(name);
    const wanted = Object.values(PROGRAMS).flatMap((spec) => /^apt-get install ([^,]+)/.exec(spec.install)?.[1]?.trim().split(/\s+/) ?? []);
    // redis-tools (redis-cli) comes with redis-server.
    expect(wanted.filter((name) => !installed.has(name) && name !== 'redis-tools')).toEqual([]);
    expect(script).toMatch(new RegExp(`^export ${REQUIRE_ALL_SUITES_VARIABLE}=1$`, 'm'));
    expect(script).not.toMatch(/^\s*redis-(server|cli)\b/m); // no shared Redis: each test starts its own
    expect(script.trim().split('\n').slice(-2)).toEqual(['npm ci', 'npm test']);
  });
});
