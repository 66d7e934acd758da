/**
 * GET /docs in a real headless Chromium (Debian's `chromium`): the page renders under its own
 * policy with no blocked load, shows this instance as its server and a section per schema, and is
 * captured as a screenshot after it has rendered. Skipped, saying so, where Chromium is not installed.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithPrograms, programPath } from '../support/outside-programs.js';
import { startService, type RunningService } from '../support/spawn-service.js';

// The flags the machine's own browser check uses: without the background-networking ones, Chromium
// keeps trying hosts this closed network refuses.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--window-size=1280,900'];

async function chromium(dir: string, args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  const child = spawn(programPath('chromium'), [...FLAGS, `--user-data-dir=${mkdtempSync(join(dir, 'profile-'))}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  await once(child, 'exit');
  clearTimeout(timer);
  return { stdout, stderr };
}

/** A fixed free-looking port: PUBLIC_URL has to name it before the service starts. */
const PORT = 20_000 + (process.pid % 20_000);

describeWithPrograms(['chromium'], 'GET /docs in headless Chromium', () => {
  let dir: string;
  let service: RunningService;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tokenvend-docs-browser-'));
    // PUBLIC_URL as an operator sets it: the page names it as the server (here, the address the browser uses).
    service = await startService({ PORT: String(PORT), HOST: '127.0.0.1', PUBLIC_URL: `http://127.0.0.1:${PORT}` }, 30_000);
  }, 60_000);
  afterAll(async () => {
    await service?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders with no blocked load or console error, and is captured once rendered', async () => {
    const shot = join(dir, 'docs.png');
    const { stderr } = await chromium(dir, ['--enable-logging=stderr', '--v=0', '--virtual-time-budget=10000', `--screenshot=${shot}`, `${service.baseUrl}/docs`]);
    const consoleLines = stderr.split('\n').filter((line) => /:CONSOLE/.test(line));
    expect(consoleLines.filter((line) => /Content Security Policy|Refused to|Failed to load|ERROR|404/i.test(line))).toEqual([]);
    expect(existsSync(shot)).toBe(true);
    // A blank page is a few kB; the rendered reference, with its sidebar and text, is far more.
    expect(statSync(shot).size).toBeGreaterThan(40_000);
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
  }, 120_000);

  it('shows this instance (PUBLIC_URL) as the server, the API, and a section for the schemas', async () => {
    const { stdout } = await chromium(dir, ['--virtual-time-budget=10000', '--dump-dom', `${service.baseUrl}/docs`]);
    // The rendered text, without markup, scripts and styles (the page's own state script holds the spec as JSON).
    const text = stdout.replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    const shown = (phrase: string) => text.includes(phrase);
    expect({ server: shown(service.baseUrl), demoAddress: shown('http://127.0.0.1:8080'), tokens: shown('/tokens'), schemas: shown('Schemas') }).toEqual({
      server: true,
      demoAddress: false,
      tokens: true,
      schemas: true,
    });
    // The schemas have a section of their own in the navigation (redocly.yaml: schemaDefinitionsTagName).
    expect(stdout).toMatch(/data-text="Schemas"/);
  }, 120_000);
});
