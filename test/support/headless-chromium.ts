/** Debian's Chromium, headless, driven by puppeteer-core: a real browser for tests, kept off every network but loopback. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';

/** The system browser (Debian package `chromium`); puppeteer-core never downloads one. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Why browser tests must skip here, or `undefined` when Chromium is installed. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM_PATH) ? undefined : `${CHROMIUM_PATH} is not installed (Debian package "chromium")`;
}

export interface HeadlessChromium {
  readonly browser: Browser;
  /** Closes the browser and removes its profile directory. */
  close(): Promise<void>;
}

/**
 * Launches Chromium with a fresh profile and only the flags listed here (puppeteer's defaults are dropped).
 * Every host name but 127.0.0.1 resolves to "not found", so a page under test can reach nothing beyond
 * loopback, whatever its scripts try (the Vapi web SDK's Daily step loads a bundle from Daily's CDN).
 *
 * @example
 * const chromium = await launchChromium();
 * const page = await chromium.browser.newPage();
 * await page.goto('http://127.0.0.1:8080/');
 * await chromium.close();
 */
export async function launchChromium(): Promise<HeadlessChromium> {
  const profile = mkdtempSync(join(tmpdir(), 'tokenvend-chromium-'));
  try {
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM_PATH,
      ignoreDefaultArgs: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
        'about:blank',
      ],
    });
    return {
      browser,
      async close() {
        await browser.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
}
