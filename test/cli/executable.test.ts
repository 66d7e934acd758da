/**
 * The `tokenvend` executable works from a checkout: the bin target is a committed executable (a
 * rebuild of dist/ cannot take its bit away), it runs straight from a fresh build, and dist/ is built
 * once, when missing or stale, by one process at a time.
 */
import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildReason, ensureBuild } from '../../bin/ensure-build.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };
const BIN = join(REPO, manifest.bin.tokenvend as string);

describe('the tokenvend bin target', () => {
  it('is a committed file with its executable bit and a node shebang, outside dist/', () => {
    expect(manifest.bin.tokenvend).toBe('bin/tokenvend.js');
    accessSync(BIN, constants.X_OK);
    expect(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    // The mode git checks out in a fresh clone.
    expect(execFileSync('git', ['ls-files', '--stage', '--', manifest.bin.tokenvend as string], { cwd: REPO, encoding: 'utf8' })).toMatch(/^100755 /);
  });

  it('runs as an executable (no `node` in front) from the build, as npx runs it', async () => {
    const help = await promisify(execFile)(BIN, ['--help'], { cwd: REPO, timeout: 300_000 });
    expect(help.stdout).toContain('Usage: tokenvend <command>');
    const keygen = await promisify(execFile)(BIN, ['keygen'], { cwd: REPO, timeout: 60_000 });
    expect(keygen.stdout.startsWith('-----BEGIN PRIVATE KEY-----\n')).toBe(true);
  }, 320_000);

  it('npm start builds only when needed, never on every start', () => {
    expect(manifest.scripts.prestart).toBe('node bin/ensure-build.js');
    expect(manifest.scripts.start).toBe('node dist/server/main.js');
  });
});

describe('ensureBuild', () => {
  let root: string;
  let builds: number;
  const build = async (at: string) => {
    builds += 1;
    await new Promise((resolve) => setTimeout(resolve, 200));
    mkdirSync(join(at, 'dist', 'server'), { recursive: true });
    writeFileSync(join(at, 'dist', 'server', 'main.js'), '');
  };
  const quiet = () => undefined;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tokenvend-build-'));
    mkdirSync(join(root, 'src'));
    writeFileSync(join(root, 'src', 'a.ts'), 'export {};\n');
    builds = 0;
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('builds when dist/ is missing, then reuses it', async () => {
    expect(buildReason(root)).toBe('dist/ is missing');
    await expect(ensureBuild({ root, build, log: quiet })).resolves.toBe('built');
    await expect(ensureBuild({ root, build, log: quiet })).resolves.toBe('fresh');
    expect(builds).toBe(1);
  });

  it('rebuilds when a source is newer than dist/', async () => {
    await ensureBuild({ root, build, log: quiet });
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'src', 'a.ts'), later, later);
    expect(buildReason(root)).toBe('the sources are newer than dist/');
    await expect(ensureBuild({ root, build, log: quiet })).resolves.toBe('built');
    expect(builds).toBe(2);
  });

  it('two starts at once build once: the second waits for the lock, then finds dist/ fresh', async () => {
    const outcomes = await Promise.all([ensureBuild({ root, build, log: quiet }), ensureBuild({ root, build, log: quiet })]);
    expect(outcomes.sort()).toEqual(['built', 'fresh']);
    expect(builds).toBe(1);
  });

  it('takes over the lock of a build that died', async () => {
    mkdirSync(join(root, '.build.lock'));
    // A pid no process has: the kernel's maximum is far below it.
    writeFileSync(join(root, '.build.lock', 'pid'), '2147483646');
    await expect(ensureBuild({ root, build, log: quiet })).resolves.toBe('built');
  });

  it('says why it builds, on the log it is given', async () => {
    const lines: string[] = [];
    await ensureBuild({ root, build, log: (line: string) => lines.push(line) });
    expect(lines).toEqual(['tokenvend: building (dist/ is missing); later starts reuse the build']);
  });

  it('does nothing without sources (a published package)', async () => {
    rmSync(join(root, 'src'), { recursive: true });
    await expect(ensureBuild({ root, build, log: quiet })).resolves.toBe('no-sources');
    expect(builds).toBe(0);
  });
});
