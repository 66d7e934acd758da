/**
 * Jest reporter: after the run, one line naming every suite skipped for a missing outside program
 * and how to install it (see test/support/outside-programs.ts, which writes the marker it reads).
 */
import { relative } from 'node:path';

/** Keep in step with SKIP_MARKER in outside-programs.ts. */
const MARKER = /\[skipped: missing (.+)\]$/;

export default class SkippedSuitesReporter {
  /** @param {{ rootDir: string }} globalConfig */
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  /**
   * @param {unknown} _contexts
   * @param {{ testResults: Array<{ testFilePath: string, testResults: Array<{ ancestorTitles: string[] }> }> }} results
   */
  onRunComplete(_contexts, results) {
    const skipped = [];
    for (const file of results.testResults) {
      const reasons = new Set();
      for (const test of file.testResults) {
        for (const title of test.ancestorTitles) {
          const match = MARKER.exec(title);
          if (match) reasons.add(match[1]);
        }
      }
      if (reasons.size > 0) skipped.push(`${relative(this.rootDir, file.testFilePath)} (${[...reasons].join('; ')})`);
    }
    if (skipped.length === 0) return;
    const suites = skipped.length === 1 ? 'suite' : 'suites';
    process.stderr.write(`\nskipped ${skipped.length} ${suites} for missing programs (TOKENVEND_REQUIRE_ALL_SUITES=1 makes this fail): ${skipped.join(', ')}\n`);
  }
}
