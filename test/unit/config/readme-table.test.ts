import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { options } from '../../../src/config/options.js';

const README = fileURLToPath(new URL('../../../README.md', import.meta.url));
const START = '<!-- config-table:start (generated from src/config/options.ts; UPDATE_README=1 npm test rewrites it) -->';
const END = '<!-- config-table:end -->';

function renderTable(): string {
  const rows = Object.values(options).map(
    (option) => `| \`${option.name}\` | ${'default' in option && option.default !== undefined ? `\`${option.default}\`` : '—'} | ${option.doc} |`,
  );
  return [START, '| Variable | Default | What it does |', '| --- | --- | --- |', ...rows, END].join('\n');
}

describe('README configuration table', () => {
  it('lists every option with its default and documentation, as src/config/options.ts does', () => {
    const readme = readFileSync(README, 'utf8');
    const start = readme.indexOf(START.slice(0, 25));
    const end = readme.indexOf(END);
    expect(start).toBeGreaterThan(-1);
    expect(end).toBeGreaterThan(start);
    const current = readme.slice(start, end + END.length);
    if (process.env.UPDATE_README === '1' && current !== renderTable()) {
      writeFileSync(README, readme.replace(current, renderTable()));
      return;
    }
    expect(current).toBe(renderTable());
  });
});
