/**
 * Outside programs the tests use (redis-server, promtool, docker-compose, …): found on PATH, or the
 * suite that needs them is skipped with the Debian package that brings them, and every such skip is
 * gathered into one closing line of `npm test` by test/support/skipped-suites-reporter.js.
 *
 * Use it in three lines:
 *
 * ```ts
 * import { describeWithPrograms, programPath } from '../support/outside-programs.js';
 *
 * describeWithPrograms(['promtool'], 'promtool', () => {
 *   it('checks the rules', async () => { await execFileAsync(programPath('promtool'), ['check', 'rules', 'alerts.yml']); });
 * });
 * ```
 *
 * - When every program is there, it is a plain `describe`.
 * - When one is missing, the suite is `describe.skip`ped and its title carries
 *   `[skipped: missing <program>: <how to install>]`; the reporter prints, after the run,
 *   `skipped N suites for missing programs: <file> (<program>: <how to install>), …`.
 * - With `TOKENVEND_REQUIRE_ALL_SUITES=1` (`.ci/run` sets it), a missing program is a failing test
 *   instead, so CI cannot go green with a suite that did not run.
 *
 * A program not yet in {@link PROGRAMS} is added there once, with its package: nothing else
 * in a suite should know how a program is found or installed.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { describe, it } from '@jest/globals';

/** Set by .ci/run: a suite that would be skipped for a missing program fails instead. */
export const REQUIRE_ALL_SUITES_VARIABLE = 'TOKENVEND_REQUIRE_ALL_SUITES';

/** The marker the reporter looks for in a skipped suite's title; keep both in step. */
export const SKIP_MARKER = '[skipped: missing ';

interface ProgramSpec {
  /** What is run: a name looked up on PATH, or an absolute path. */
  readonly command: string;
  /** How to get it on Debian (bookworm), as a command a reader can paste. */
  readonly install: string;
  /** A further check beyond "the command is there and executable" (a library, a plugin). */
  readonly alsoNeeds?: () => boolean;
}

/** Every outside program a test may use, with how Debian provides it. */
export const PROGRAMS = {
  'redis-server': { command: 'redis-server', install: 'apt-get install redis-server' },
  'redis-sentinel': { command: 'redis-sentinel', install: 'apt-get install redis-sentinel' },
  'redis-cli': { command: 'redis-cli', install: 'apt-get install redis-tools' },
  promtool: { command: 'promtool', install: 'apt-get install prometheus' },
  prometheus: { command: 'prometheus', install: 'apt-get install prometheus' },
  'docker-compose': { command: 'docker-compose', install: 'apt-get install docker-compose' },
  chromium: { command: 'chromium', install: 'apt-get install chromium' },
  go: {
    command: 'go',
    install: 'apt-get install golang-go golang-golang-x-oauth2-dev',
    // Builds are offline: x/oauth2 comes from Debian's Go sources under /usr/share/gocode.
    alsoNeeds: () => existsSync('/usr/share/gocode/src/golang.org/x/oauth2'),
  },
  // Debian's own interpreter: the `python3` first on PATH may be another one (pyenv) without Authlib.
  'python3-authlib': {
    command: '/usr/bin/python3',
    install: 'apt-get install python3-authlib',
    alsoNeeds: () => spawnSync('/usr/bin/python3', ['-c', 'import authlib'], { stdio: 'ignore', timeout: 10_000 }).status === 0,
  },
  // Debian's kubernetes-client is kubectl 1.20 with kustomize v2.0.3; the manifests stay within what it renders.
  kubectl: { command: 'kubectl', install: 'apt-get install kubernetes-client, or kubectl from the Kubernetes project' },
} as const satisfies Record<string, ProgramSpec>;

export type ProgramName = keyof typeof PROGRAMS;

const found = new Map<ProgramName, string | undefined>();

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function locate(command: string): string | undefined {
  if (isAbsolute(command)) return executable(command) ? command : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

/**
 * The absolute path of `name` when it is installed with everything it needs, else undefined.
 *
 * @example
 * if (findProgram('redis-server')) { ... }
 */
export function findProgram(name: ProgramName): string | undefined {
  if (!found.has(name)) {
    const spec: ProgramSpec = PROGRAMS[name];
    const file = locate(spec.command);
    found.set(name, file && (spec.alsoNeeds?.() ?? true) ? file : undefined);
  }
  return found.get(name);
}

/**
 * The absolute path of `name`; throws, naming the package, when it is missing (use it inside a
 * {@link describeWithPrograms} body, where the program is known to be there).
 *
 * @example
 * spawn(programPath('redis-server'), ['--port', String(port)]);
 */
export function programPath(name: ProgramName): string {
  const file = findProgram(name);
  if (!file) throw new Error(`${name} is not installed (${PROGRAMS[name].install})`);
  return file;
}

/** The programs of `names` that are missing, each as `<program>: <how to install>`. */
export function missingPrograms(names: readonly ProgramName[]): string[] {
  return names.filter((name) => !findProgram(name)).map((name) => `${name}: ${PROGRAMS[name].install}`);
}

/** True when .ci/run (or anyone) asked that no suite be skipped for a missing program. */
export function requireAllSuites(): boolean {
  const value = process.env[REQUIRE_ALL_SUITES_VARIABLE];
  return value !== undefined && value !== '' && value !== '0' && value !== 'false';
}

/**
 * `describe(title, body)` when every program of `names` is installed; otherwise a skipped suite the
 * closing summary names, or (under TOKENVEND_REQUIRE_ALL_SUITES=1) a failing one.
 *
 * @example
 * describeWithPrograms(['redis-server'], 'limits shared through Redis', () => { ... });
 */
export function describeWithPrograms(names: readonly ProgramName[], title: string, body: () => void): void {
  const missing = missingPrograms(names);
  if (missing.length === 0) {
    describe(title, body);
    return;
  }
  const reason = missing.join('; ');
  if (requireAllSuites()) {
    describe(title, () => {
      it(`has ${names.join(', ')} installed`, () => {
        throw new Error(`${REQUIRE_ALL_SUITES_VARIABLE} is set and this suite needs ${reason}`);
      });
    });
    return;
  }
  describe.skip(`${title} ${SKIP_MARKER}${reason}]`, body);
}
