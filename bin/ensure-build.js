#!/usr/bin/env node
/**
 * Builds dist/ once, not on every start: when it is missing or older than the sources, under a lock,
 * so that two starts (or a start and `npx tokenvend`) from one checkout never build under each other.
 * Run by `npm start` (prestart) and bin/tokenvend.js, so the first of them after `npm ci` builds, and
 * no install-time script is needed. It does nothing where there are no sources (a published package).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** What the build reads: a change to any of them makes dist/ stale. */
const INPUTS = ['src', 'packages/client/src', 'packages/verify/src', 'openapi.yaml', 'redocly.yaml', 'tsconfig.json', 'tsconfig.build.json'];
/** Written by tsc on every build, after `clean`: its age is the age of the build. */
const BUILT = join('dist', 'server', 'main.js');
const LOCK = '.build.lock';
const POLL_MS = 100;
const LOCK_TIMEOUT_MS = 10 * 60_000;

/** Newest modification time (ms) of a file or of any file below a folder; 0 when absent. */
function newestMtime(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/**
 * Why dist/ needs a build, or `undefined` when it is up to date.
 *
 * @example
 * buildReason('/repo'); // 'dist/ is missing' | 'the sources are newer than dist/' | undefined
 * @param {string} [root]
 * @returns {string | undefined}
 */
export function buildReason(root = ROOT) {
  const built = newestMtime(join(root, BUILT));
  if (built === 0) return 'dist/ is missing';
  const newestInput = Math.max(...INPUTS.map((input) => newestMtime(join(root, input))));
  return newestInput > built ? 'the sources are newer than dist/' : undefined;
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Takes the lock (a folder: mkdir is atomic), waiting while another live process holds it. */
async function acquireLock(root) {
  const lock = join(root, LOCK);
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    let holder;
    try {
      holder = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    } catch {
      holder = undefined; // Just created, pid not written yet: wait.
    }
    // A holder that died (killed mid-build) leaves its lock behind: take it over.
    if (holder !== undefined && holder > 0 && !isAlive(holder)) rmSync(lock, { recursive: true, force: true });
    else if (Date.now() > deadline) throw new Error(`${lock} has been held for ${LOCK_TIMEOUT_MS / 60_000} minutes; remove it if no build is running`);
    else await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** `npm run build` with its output on stderr: stdout is the service's JSON log under `npm start`. */
function npmRunBuild(root) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 2, 2] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`npm run build failed (exit ${code})`))));
  });
}

/**
 * Builds dist/ if it is missing or stale; returns what it did. Two callers at once build once: the
 * second waits for the lock, then finds dist/ fresh.
 *
 * @param {{ root?: string, build?: (root: string) => Promise<void>, log?: (line: string) => void }} [options]
 * @returns {Promise<'built' | 'fresh' | 'no-sources'>}
 * @example
 * await ensureBuild(); // 'built' | 'fresh' | 'no-sources'
 */
export async function ensureBuild({ root = ROOT, build = npmRunBuild, log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  if (newestMtime(join(root, 'src')) === 0) return 'no-sources';
  if (buildReason(root) === undefined) return 'fresh';
  const release = await acquireLock(root);
  try {
    const reason = buildReason(root);
    if (reason === undefined) return 'fresh';
    log(`tokenvend: building (${reason}); later starts reuse the build`);
    await build(root);
    return 'built';
  } finally {
    release();
  }
}

async function main() {
  try {
    await ensureBuild();
  } catch (error) {
    process.stderr.write(`tokenvend: ${error.message}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
