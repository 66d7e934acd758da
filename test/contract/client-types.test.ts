/** packages/client/src/api-types.ts is openapi-typescript's rendering of openapi.yaml, byte for byte as `npm run generate:client-types` writes it. */
import { readFileSync } from 'node:fs';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';

const ROOT = new URL('../../', import.meta.url);
const TYPES_FILE = new URL('packages/client/src/api-types.ts', ROOT);
const scripts = (JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { scripts: Record<string, string> }).scripts;
const script = scripts['generate:client-types'] ?? '';

/** What the script writes: its `echo` lines, then the CLI's output with the flags below. */
async function generate(): Promise<string> {
  const header = [...script.matchAll(/echo '([^']*)'/g)].map(([, line]) => `${line}\n`).join('');
  const ast = await openapiTS(new URL('openapi.yaml', ROOT), { rootTypes: true, rootTypesNoSchemaPrefix: true, silent: true });
  // The CLI writes COMMENT_HEADER before the printed AST (openapi-typescript bin/cli.js, generateSchema).
  return `${header}${COMMENT_HEADER}${astToString(ast)}`;
}

describe('client types generated from openapi.yaml', () => {
  it('the generate:client-types script is the generation this test reproduces', () => {
    expect(script).toMatch(/^\{ (echo '[^']*' && )+openapi-typescript openapi\.yaml --root-types --root-types-no-schema-prefix; \} > packages\/client\/src\/api-types\.ts$/);
  });

  it('the committed packages/client/src/api-types.ts is current (else: npm run generate:client-types)', async () => {
    const expected = (await generate()).split('\n');
    const committed = readFileSync(TYPES_FILE, 'utf8').split('\n');
    const first = expected.findIndex((line, index) => line !== committed[index]);
    const stale =
      first === -1 && expected.length === committed.length
        ? undefined
        : `packages/client/src/api-types.ts is stale: run npm run generate:client-types and commit the result. First difference at line ${first === -1 ? expected.length + 1 : first + 1}:\n  generated: ${expected[first] ?? '(end of file)'}\n  committed: ${committed[first] ?? '(end of file)'}`;
    expect(stale).toBeUndefined();
  });

  it('exports the wire types the client uses as aliases of the schemas, and declares types only', () => {
    const text = readFileSync(TYPES_FILE, 'utf8');
    for (const name of ['TokenRequest', 'TokenResponse', 'Problem']) {
      expect(text).toContain(`export type ${name} = components['schemas']['${name}'];`);
    }
    // Compiled, the module is empty: tokenvend/client imports nothing at run time through it.
    expect(text).not.toMatch(/^\s*import\b/m);
    expect(text.split('\n').filter((line) => /^export\b/.test(line) && !/^export (type|interface) /.test(line))).toEqual([]);
  });
});
