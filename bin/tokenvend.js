#!/usr/bin/env node
// The `tokenvend` executable. A committed file with its executable bit, so that a rebuild of dist/
// cannot take the bit away; from a checkout it builds dist/ first when that is missing or stale.
import { ensureBuild } from './ensure-build.js';

try {
  await ensureBuild();
} catch (error) {
  process.stderr.write(`tokenvend: ${error.message}\n`);
  process.exit(1);
}
await import('../dist/cli/main.js');
