/** Vapi's published web SDK (`@vapi-ai/web`, unmodified) bundled for the browser at test time, in a temporary directory. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface VapiWebBundle {
  /** The script; it defines the global `Vapi`, the SDK's default export. */
  readonly code: string;
  /** Removes the temporary directory. */
  remove(): void;
}

/**
 * Bundles `@vapi-ai/web` with its dependencies (Daily's SDK, `events`) as one classic script.
 *
 * @example
 * const bundle = await bundleVapiWeb(); // serve bundle.code as text/javascript, then: new Vapi(publicToken, apiBaseUrl)
 * bundle.remove();
 */
export async function bundleVapiWeb(): Promise<VapiWebBundle> {
  const dir = mkdtempSync(join(tmpdir(), 'tokenvend-vapi-web-'));
  try {
    const outfile = join(dir, 'vapi-web.js');
    await build({
      stdin: { contents: "import Vapi from '@vapi-ai/web';\nglobalThis.Vapi = Vapi;\n", resolveDir: ROOT, loader: 'js' },
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2020',
      define: { 'process.env.NODE_ENV': '"production"' },
      outfile,
      logLevel: 'silent',
    });
    return { code: readFileSync(outfile, 'utf8'), remove: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
