/**
 * The three published artefacts, used as other teams will use them. `npm pack` each workspace package and
 * the service; install @tokenvend/client and @tokenvend/verify each ALONE into a fresh project, offline from
 * the tarball (and npm's cache for jose), then count what was installed, load it from ESM and from CommonJS
 * `require` (Node 20.19+'s require(esm)) and typecheck a consumer. Then install the service tarball beside
 * the two SDK tarballs, run every CLI command from node_modules/.bin, start the installed server, and drive
 * the installed client and verifier against it.
 *
 * Packs with --ignore-scripts: the run command builds first (`npm run build && … jest test/package`), and
 * beforeAll refuses a dist/ older than its src/, so each tarball is what `prepack` would produce.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SignJWT, decodeJwt, decodeProtectedHeader, importJWK, type JWK } from 'jose';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DRIVER = fileURLToPath(new URL('./fixtures/consumer-driver.mjs', import.meta.url));
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
const INSTALL_TIMEOUT_MS = 180_000;
const AUDIENCE = 'orders-api';

/**
 * Ceilings of what installing each SDK alone puts into node_modules (the files npm writes, its own
 * bookkeeping included). Measured at 0.1.0: client 124 kB (no dependencies), verify 280 kB with jose.
 * They exist to catch a dependency or a bundled server creeping in, not to pin a byte count.
 */
const INSTALLED_CEILING = { client: 200 * 1024, verify: 600 * 1024 } as const;

// ---------------------------------------------------------------------------------------------------
// Processes

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end; killed (and reported) after `timeoutMs`. */
async function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: string; timeoutMs?: number } = {},
): Promise<Result> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(options.stdin ?? '');
  const timeoutMs = options.timeoutMs ?? 30_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  if (timedOut) stderr += `\n[killed after ${timeoutMs} ms: ${command} ${args.join(' ')}]`;
  return { code, stdout, stderr };
}

/** Only PATH (with this node first, for the `#!/usr/bin/env node` of the bin) and what the step needs. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: `${dirname(process.execPath)}${process.platform === 'win32' ? ';' : ':'}${process.env.PATH ?? ''}`, ...extra };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function freeLoopbackPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// ---------------------------------------------------------------------------------------------------
// Files

function walk(root: string, skip: (path: string) => boolean = () => false): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (skip(path)) continue;
    if (entry.isDirectory()) files.push(...walk(path, skip));
    else files.push(path);
  }
  return files;
}

const posix = (path: string): string => path.split(sep).join('/');

/** Specifiers of static imports, re-exports and literal dynamic imports; comments (TSDoc examples) are skipped. */
function importSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])([^'"]+)\1/gm;
  return [...code.matchAll(pattern)].map((match) => match[2] as string);
}

/**
 * Every non-relative specifier reachable from `entry` through relative imports: what loading that entry
 * point (or, for .d.ts files, typechecking against it) pulls in from outside the package.
 */
function bareImportsReachableFrom(entry: string): string[] {
  const bare = new Set<string>();
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of importSpecifiers(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) {
        bare.add(specifier);
        continue;
      }
      let target = join(dirname(file), specifier);
      if (file.endsWith('.d.ts')) target = target.replace(/\.js$/, '.d.ts');
      if (!existsSync(target)) throw new Error(`${file} imports ${specifier}, which is not in the package`);
      queue.push(target);
    }
  }
  return [...bare].sort();
}

/** The packages npm installed (`name` from each package.json directly under node_modules or a scope), sorted. */
function installedPackages(nodeModules: string): string[] {
  const names: string[] = [];
  for (const entry of readdirSync(nodeModules)) {
    if (entry.startsWith('.')) continue;
    const scoped = entry.startsWith('@') ? readdirSync(join(nodeModules, entry)).map((name) => `${entry}/${name}`) : [entry];
    names.push(...scoped.filter((name) => existsSync(join(nodeModules, name, 'package.json'))));
  }
  return names.sort();
}

/** Bytes of every file under `root` (symlinks not followed): what the install wrote to disk. */
function bytesUnder(root: string): number {
  return walk(root).reduce((total, file) => total + lstatSync(file).size, 0);
}

function refuseStaleDist(src: string, dist: string): void {
  const stale = walk(src)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .filter((file) => {
      const built = join(dist, relative(src, file)).replace(/\.ts$/, '.js');
      return !existsSync(built) || statSync(built).mtimeMs < statSync(file).mtimeMs;
    });
  if (stale.length > 0) {
    throw new Error(`${relative(REPO, dist)}/ is older than ${relative(REPO, src)}/ (${stale.slice(0, 3).map((file) => relative(REPO, file)).join(', ')}…): run "npm run build" first`);
  }
}

// ---------------------------------------------------------------------------------------------------
// The three tarballs

interface Packed {
  readonly tarball: string;
  readonly files: string[];
  readonly size: number;
  readonly unpackedSize: number;
}

const INSTALL_ENV = { ...process.env, npm_config_update_notifier: 'false' };
let work: string;
const packed = {} as Record<'tokenvend' | '@tokenvend/client' | '@tokenvend/verify', Packed>;

async function pack(args: readonly string[]): Promise<void> {
  const result = await run('npm', ['pack', ...args, '--ignore-scripts', '--json', '--pack-destination', work], { cwd: REPO, timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`npm pack ${args.join(' ')} failed (${String(result.code)}): ${result.stderr}`);
  const reports = JSON.parse(result.stdout) as Array<{ name: keyof typeof packed; filename: string; size: number; unpackedSize: number; files: Array<{ path: string }> }>;
  for (const report of reports) {
    packed[report.name] = {
      tarball: join(work, report.filename),
      files: report.files.map((file) => file.path).sort(),
      size: report.size,
      unpackedSize: report.unpackedSize,
    };
  }
}

/** A fresh project with only a package.json, then `npm install <args>`. */
async function freshProject(name: string, installArgs: readonly string[], type: 'module' | 'commonjs' = 'module'): Promise<string> {
  const project = join(work, name);
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: `tokenvend-consumer-${name}`, type, private: true })}\n`);
  const install = await run('npm', ['install', ...installArgs, '--no-audit', '--no-fund'], { cwd: project, timeoutMs: INSTALL_TIMEOUT_MS, env: INSTALL_ENV });
  if (install.code !== 0) {
    throw new Error(`npm install ${installArgs.join(' ')} failed in ${project} (exit ${String(install.code)}):\n${install.stderr.slice(-2000)}`);
  }
  return project;
}

beforeAll(async () => {
  refuseStaleDist(join(REPO, 'src'), join(REPO, 'dist'));
  for (const name of ['client', 'verify']) refuseStaleDist(join(REPO, 'packages', name, 'src'), join(REPO, 'packages', name, 'dist'));
  work = mkdtempSync(join(tmpdir(), 'tokenvend-package-'));
  await pack(['-w', 'packages/client', '-w', 'packages/verify']);
  await pack([]);
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const tsc = (cwd: string, args: readonly string[]): Promise<Result> =>
  run(process.execPath, [TSC, '--noEmit', '--strict', '--target', 'es2022', ...args, 'consumer.ts'], { cwd, env: cleanEnv(), timeoutMs: 90_000 });

/** What one SDK tarball must hold: its modules with declarations beside them, README, LICENSE, package.json; nothing else. */
function expectSdkTarball(name: '@tokenvend/client' | '@tokenvend/verify'): void {
  const { files, size, unpackedSize } = packed[name];
  expect(files.filter((file) => !/^dist\/[\w-]+\.(?:js|d\.ts)$/.test(file))).toEqual(['LICENSE', 'README.md', 'package.json']);
  expect(files).toContain('dist/index.js');
  for (const file of files.filter((path) => path.endsWith('.js'))) expect(files).toContain(file.replace(/\.js$/, '.d.ts'));
  const src = join(REPO, 'packages', name.slice('@tokenvend/'.length), 'src');
  // Only modules built from the current src/ (no stale files left in dist/ by earlier builds).
  expect(files.filter((file) => file.endsWith('.js') && !existsSync(join(src, file.slice('dist/'.length).replace(/\.js$/, '.ts'))))).toEqual([]);
  console.info(`${name} tarball: ${files.length} files, ${(size / 1024).toFixed(1)} KiB packed, ${(unpackedSize / 1024).toFixed(1)} KiB unpacked`);
}

/** The published manifest: ESM with types, the one entry point, no install-time scripts, `dependencies` exactly as given. */
function expectSdkManifest(project: string, name: string, dependencies: Record<string, string> | undefined): void {
  const manifest = JSON.parse(readFileSync(join(project, 'node_modules', name, 'package.json'), 'utf8')) as Record<string, unknown>;
  expect(manifest).toMatchObject({
    name,
    type: 'module',
    exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' }, './package.json': './package.json' },
  });
  expect(manifest.dependencies).toEqual(dependencies);
  expect(manifest.peerDependencies).toBeUndefined();
  expect(Object.keys((manifest.scripts ?? {}) as Record<string, string>).filter((script) => /^(?:pre|post)?install$|^prepare$/.test(script))).toEqual([]);
}

// ---------------------------------------------------------------------------------------------------

describe('@tokenvend/client, installed alone', () => {
  let project: string;

  beforeAll(async () => {
    // --offline: everything must come from the tarball, as it does when nothing else is needed.
    project = await freshProject('client', [packed['@tokenvend/client'].tarball, '--offline']);
  }, INSTALL_TIMEOUT_MS);

  test('the tarball holds its dist (with declarations), README.md, LICENSE and package.json; nothing else', () => {
    expectSdkTarball('@tokenvend/client');
  });

  test('installs zero dependencies; the whole node_modules stays under its ceiling', () => {
    expect(installedPackages(join(project, 'node_modules'))).toEqual(['@tokenvend/client']);
    expectSdkManifest(project, '@tokenvend/client', undefined);
    const bytes = bytesUnder(join(project, 'node_modules'));
    console.info(`@tokenvend/client installed alone: 0 dependencies, ${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB) in node_modules`);
    expect(bytes).toBeLessThan(INSTALLED_CEILING.client);
  });

  test('loads nothing from outside its own folder, at run time or in its declarations', () => {
    const installed = join(project, 'node_modules', '@tokenvend', 'client');
    expect(bareImportsReachableFrom(join(installed, 'dist/index.js'))).toEqual([]);
    expect(bareImportsReachableFrom(join(installed, 'dist/index.d.ts'))).toEqual([]);
  });

  // A loopback token service the script starts itself, then getToken through the installed client.
  const script = (load: string) => `
    ${load}
    const http = require('node:http');
    const server = http.createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ token: 'tok-' + req.headers.authorization.length, tokenType: 'Bearer', expiresIn: 60, expiresAt: new Date(Date.now() + 60000).toISOString(), orgId: 'org_a' }));
    });
    server.listen(0, '127.0.0.1', async () => {
      const tokens = client.createTokenClient({ baseUrl: 'http://127.0.0.1:' + server.address().port, apiKey: 'tv_key' });
      const token = await tokens.getToken('org_a');
      console.log(JSON.stringify({ token, exports: Object.keys(client).sort() }));
      tokens.close();
      server.close();
    });
  `;
  const expected = { token: 'tok-13', exports: ['TokenClientError', 'TokenClientErrorCodes', 'createTokenClient'] };

  test('works from ESM (import) and from CommonJS (require, Node 20.19+ require(esm))', async () => {
    writeFileSync(join(project, 'use.mjs'), script("import * as client from '@tokenvend/client'; import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);"));
    writeFileSync(join(project, 'use.cjs'), script("const client = require('@tokenvend/client');"));
    const [esm, cjs] = await Promise.all([run(process.execPath, ['use.mjs'], { cwd: project, env: cleanEnv() }), run(process.execPath, ['use.cjs'], { cwd: project, env: cleanEnv() })]);
    expect({ code: esm.code, stderr: esm.stderr, out: JSON.parse(esm.stdout || 'null') }).toEqual({ code: 0, stderr: '', out: expected });
    // Node 20 may warn that require(esm) is experimental; anything else on stderr is a failure.
    expect({ code: cjs.code, stderr: cjs.stderr.replace(/^.*ExperimentalWarning.*\n(?:.*--trace-warnings.*\n)?/m, ''), out: JSON.parse(cjs.stdout || 'null') }).toEqual({ code: 0, stderr: '', out: expected });
  });

  test('a strict consumer typechecks with the DOM lib and no Node types at all (the client needs only fetch)', async () => {
    writeFileSync(
      join(project, 'consumer.ts'),
      `import { createTokenClient, TokenClientError, type TokenClientOptions, type TokenRequest } from '@tokenvend/client';
const options: TokenClientOptions = { baseUrl: 'https://tokenvend.internal', apiKey: 'tv_x' };
const request: TokenRequest = { orgId: 'org_a', expiresIn: 900 };
export async function token(): Promise<string> {
  try { return await createTokenClient(options).getToken(request.orgId); } catch (error) { throw error instanceof TokenClientError ? new Error(error.code) : error; }
}
`,
    );
    const result = await tsc(project, ['--module', 'nodenext', '--moduleResolution', 'nodenext', '--lib', 'es2023,dom', '--skipLibCheck', 'false']);
    expect({ code: result.code, output: `${result.stdout}${result.stderr}` }).toEqual({ code: 0, output: '' });
  }, 90_000);
});

describe('@tokenvend/verify, installed alone', () => {
  let project: string;

  beforeAll(async () => {
    // jose, its one dependency, comes from npm's cache: no registry needed.
    project = await freshProject('verify', [packed['@tokenvend/verify'].tarball, '--offline']);
  }, INSTALL_TIMEOUT_MS);

  test('the tarball holds its dist (with declarations), README.md, LICENSE and package.json; nothing else', () => {
    expectSdkTarball('@tokenvend/verify');
  });

  test('installs one dependency, jose; no Express, no @types; the whole node_modules stays under its ceiling', () => {
    const { version } = JSON.parse(readFileSync(join(REPO, 'node_modules', 'jose', 'package.json'), 'utf8')) as { version: string };
    expect(installedPackages(join(project, 'node_modules'))).toEqual(['@tokenvend/verify', 'jose']);
    expectSdkManifest(project, '@tokenvend/verify', { jose: expect.stringMatching(/^\^6\./) as unknown as string });
    const bytes = bytesUnder(join(project, 'node_modules'));
    console.info(`@tokenvend/verify installed alone: 1 dependency (jose ${version}), ${bytes} bytes (${(bytes / 1024).toFixed(1)} KiB) in node_modules`);
    expect(bytes).toBeLessThan(INSTALLED_CEILING.verify);
  });

  test('loads only jose (and Node built-ins) from outside its folder; its declarations reference only jose (no express)', () => {
    const installed = join(project, 'node_modules', '@tokenvend', 'verify');
    // node:crypto reads local PEM and JWK keys (the `keys` option): a Node built-in, not a dependency.
    expect(bareImportsReachableFrom(join(installed, 'dist/index.js'))).toEqual(['jose', 'node:crypto']);
    expect(bareImportsReachableFrom(join(installed, 'dist/index.d.ts'))).toEqual(['jose']);
  });

  // A JWKS on loopback, a token signed with its key, verified in code and through requireOrgToken with a
  // hand-made request and response: the middleware needs no Express.
  const script = (load: string) => `
    ${load}
    (async () => {
      const { generateKeyPair, exportJWK, SignJWT } = await import('jose');
      const { publicKey, privateKey } = await generateKeyPair('ES256');
      const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
      const server = http.createServer((req, res) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ keys: [jwk] })); });
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      const options = { jwksUri: 'http://127.0.0.1:' + server.address().port + '/jwks' };
      const token = await new SignJWT({ orgId: 'org_a', jti: 'j1' }).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: 'k1' }).setIssuedAt().setExpirationTime('1m').sign(privateKey);
      const claims = await verify.createVerifier(options)(token);
      const answers = [];
      const response = () => ({ locals: {}, status(code) { this.code = code; return this; }, set() { return this; }, type() { return this; }, send(body) { answers.push([this.code, JSON.parse(body).code]); } });
      const middleware = verify.requireOrgToken(options);
      await middleware({ headers: {} }, response(), () => answers.push('next'));
      const req = { headers: { authorization: 'Bearer ' + token } };
      const res = response();
      await middleware(req, res, (error) => answers.push(error === undefined ? 'next' : String(error)));
      console.log(JSON.stringify({ orgId: claims.orgId, answers, org: verify.getTokenClaims(req).orgId, local: res.locals.orgId, exports: Object.keys(verify).sort() }));
      server.close();
    })();
  `;
  const expected = {
    orgId: 'org_a',
    answers: [[401, 'ERR_TOKENVEND_TOKEN_MISSING'], 'next'],
    org: 'org_a',
    local: 'org_a',
    exports: expect.arrayContaining(['TokenVerificationError', 'VerifierConfigError', 'createVerifier', 'getTokenClaims', 'requireOrgToken']),
  };

  test('works from ESM (import) and from CommonJS (require, Node 20.19+ require(esm))', async () => {
    writeFileSync(join(project, 'use.mjs'), script("import * as verify from '@tokenvend/verify'; import http from 'node:http';"));
    writeFileSync(join(project, 'use.cjs'), script("const verify = require('@tokenvend/verify'); const http = require('node:http');"));
    const [esm, cjs] = await Promise.all([run(process.execPath, ['use.mjs'], { cwd: project, env: cleanEnv() }), run(process.execPath, ['use.cjs'], { cwd: project, env: cleanEnv() })]);
    expect({ code: esm.code, stderr: esm.stderr, out: JSON.parse(esm.stdout || 'null') }).toEqual({ code: 0, stderr: '', out: expected });
    expect({ code: cjs.code, stderr: cjs.stderr.replace(/^.*ExperimentalWarning.*\n(?:.*--trace-warnings.*\n)?/m, ''), out: JSON.parse(cjs.stdout || 'null') }).toEqual({ code: 0, stderr: '', out: expected });
  });

  test('a strict consumer typechecks without @types/express (nodenext, skipLibCheck off)', async () => {
    writeFileSync(
      join(project, 'consumer.ts'),
      `import { createVerifier, requireOrgToken, getTokenClaims, type OrgTokenMiddleware, type RequestLike, type ResponseLike, type TokenClaims } from '@tokenvend/verify';
const guard: OrgTokenMiddleware = requireOrgToken({ issuer: 'https://tokenvend.internal', audience: 'orders-api' });
export async function handle(req: RequestLike, res: ResponseLike): Promise<string> {
  await guard(req, res, () => undefined);
  const claims: TokenClaims = getTokenClaims(req);
  return claims.orgId + String((await createVerifier({ jwksUri: 'https://tokenvend.internal/jwks' })('t')).exp);
}
`,
    );
    const result = await tsc(project, ['--module', 'nodenext', '--moduleResolution', 'nodenext', '--lib', 'es2023', '--types', 'node', '--typeRoots', join(REPO, 'node_modules', '@types'), '--skipLibCheck', 'false']);
    expect({ code: result.code, output: `${result.stdout}${result.stderr}` }).toEqual({ code: 0, output: '' });
  }, 90_000);
});

// ---------------------------------------------------------------------------------------------------
// The service tarball, installed beside the two SDK tarballs and what a consumer of requireOrgToken adds

let project: string;
let installed: string;
let bin: string;

beforeAll(async () => {
  project = await freshProject('service', [
    packed.tokenvend.tarball,
    packed['@tokenvend/client'].tarball,
    packed['@tokenvend/verify'].tarball,
    // express and its types are what a consumer of requireOrgToken installs beside it; @types/node for fetch and timers.
    'express@^5',
    '@types/express@^5',
    '@types/node@^20',
    '--prefer-offline',
    '--no-package-lock',
  ]);
  installed = join(project, 'node_modules', 'tokenvend');
  bin = join(project, 'node_modules', '.bin', 'tokenvend');
}, INSTALL_TIMEOUT_MS);

describe('tokenvend (the service and CLI)', () => {
  test('the tarball holds dist (cli, server, with their .d.ts), openapi.yaml, README.md, LICENSE and package.json; no SDK, no docs page', () => {
    const { files, size } = packed.tokenvend;
    expect([...new Set(files.map((file) => file.split('/')[0]))].sort()).toEqual(['LICENSE', 'README.md', 'bin', 'dist', 'openapi.yaml', 'package.json']);
    for (const file of ['dist/cli/main.js', 'dist/server/main.js', 'bin/tokenvend.js', 'bin/ensure-build.js', 'openapi.yaml']) expect(files).toContain(file);
    // The SDKs are packages of their own; the API reference page is built for /docs, not shipped.
    expect(files.filter((file) => /^dist\/(?:client|verify|docs)\//.test(file))).toEqual([]);
    for (const file of files.filter((path) => path.startsWith('dist/') && path.endsWith('.js'))) expect(files).toContain(file.replace(/\.js$/, '.d.ts'));
    console.info(`tokenvend tarball: ${files.length} files, ${(size / 1024).toFixed(1)} KiB`);
  });

  test('carries no sources, tests, source maps, benchmarks, secrets or keys', () => {
    const forbidden = packed.tokenvend.files.filter((file) =>
      /^(?:src|test|bench|dist-bench|secrets|grafana|prometheus|node_modules|packages)\//.test(file) ||
      /\.(?:map|ts(?<!\.d\.ts)|pem|key|p12|tgz|env)$/.test(file) ||
      /(?:^|\/)(?:\.env[^/]*|.*secret[^/]*|.*keys?\.json|Dockerfile|docker-compose\.yml|tsconfig[^/]*\.json|jest\.config\.js)$/i.test(file),
    );
    expect(forbidden).toEqual([]);

    const installedFiles = walk(installed, (path) => path === join(installed, 'node_modules')).map((file) => posix(relative(installed, file))).sort();
    expect(installedFiles).toEqual(packed.tokenvend.files);
    const keyMaterial = /-----BEGIN [A-Z ]*PRIVATE KEY-----\s+[A-Za-z0-9+/=]{40}|"d"\s*:\s*"[A-Za-z0-9_-]{40,}"|\btv_[0-9A-Za-z]{49}\b/;
    const leaking = installedFiles.filter((file) => keyMaterial.test(readFileSync(join(installed, file), 'utf8')));
    expect(leaking).toEqual([]);
  });

  test('ships only modules built from the current src/ (no stale files left in dist/ by earlier builds)', () => {
    const orphans = packed.tokenvend.files
      .filter((file) => file.startsWith('dist/') && file.endsWith('.js'))
      .filter((file) => !existsSync(join(REPO, 'src', file.slice('dist/'.length).replace(/\.js$/, '.ts'))))
      // A worker thread's script is JavaScript in src/ too (keys/signing-thread-worker.js).
      .filter((file) => !existsSync(join(REPO, 'src', file.slice('dist/'.length))));
    expect(orphans).toEqual([]);
  });

  test('package.json: the spec and the bin, @tokenvend/verify as a dependency (the CLI\'s verify), no install-time scripts', () => {
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      name: 'tokenvend',
      type: 'module',
      bin: { tokenvend: 'bin/tokenvend.js' },
      exports: { './package.json': './package.json', './openapi.yaml': './openapi.yaml' },
      dependencies: { '@tokenvend/verify': expect.any(String) },
    });
    expect(Object.keys((manifest.exports as Record<string, unknown>) ?? {}).sort()).toEqual(['./openapi.yaml', './package.json']);
    expect(manifest.dependencies).not.toHaveProperty('@tokenvend/client');
    const scripts = (manifest.scripts ?? {}) as Record<string, string>;
    expect(Object.keys(scripts).filter((name) => /^(?:pre|post)?install$|^prepare$/.test(name))).toEqual([]);
  });

  test('the service\'s modules import nothing of the SDKs but the CLI\'s verify command, and that only through @tokenvend/verify', () => {
    const sdkImports = walk(join(installed, 'dist'))
      .filter((file) => file.endsWith('.js'))
      .flatMap((file) => importSpecifiers(readFileSync(file, 'utf8')).filter((specifier) => specifier.startsWith('@tokenvend/')).map((specifier) => `${posix(relative(installed, file))} → ${specifier}`));
    expect(sdkImports).toEqual(['dist/cli/commands/verify.js → @tokenvend/verify']);
  });

  test('the root and deep paths are refused by the exports map', async () => {
    const probe = `
      const outcome = {};
      for (const specifier of ${JSON.stringify(['tokenvend', 'tokenvend/dist/server/main.js', 'tokenvend/dist/cli/main.js', 'tokenvend/src/server/main.ts', 'tokenvend/client', 'tokenvend/verify'])}) {
        try {
          outcome[specifier] = Object.keys(await import(specifier)).sort();
        } catch (error) {
          outcome[specifier] = error.code;
        }
      }
      outcome.version = (await import('tokenvend/package.json', { with: { type: 'json' } })).default.version;
      console.log(JSON.stringify(outcome));
    `;
    const result = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: project, env: cleanEnv() });
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
    expect(JSON.parse(result.stdout)).toEqual({
      tokenvend: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      'tokenvend/dist/server/main.js': 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      'tokenvend/dist/cli/main.js': 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      'tokenvend/src/server/main.ts': 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      'tokenvend/client': 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      'tokenvend/verify': 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      version,
    });
  });
});

describe('type declarations', () => {
  const consumer = `
import {
  createTokenClient, TokenClientError, TokenClientErrorCodes,
  type GetTokenOptions, type Problem, type Sleep, type TokenClient, type TokenClientErrorCode,
  type TokenClientOptions, type TokenFetchInit, type TokenRequest, type TokenResponse,
} from '@tokenvend/client';
import {
  createVerifier, getTokenClaims, requireOrgToken, TokenVerificationError, VerifierConfigError,
  type AuthenticatedRequest, type FetchLike, type ProblemCode, type RequireOrgTokenOptions, type TokenClaims,
  type TokenVerificationErrorCode, type Verifier, type VerifierAlgorithm, type VerifierOptions,
} from '@tokenvend/verify';
import type { Request, RequestHandler } from 'express';

type IsAny<T> = 0 extends 1 & T ? true : false;

const sleep: Sleep = (ms, signal) => new Promise<void>((resolve) => { const timer = setTimeout(resolve, ms); signal.addEventListener('abort', () => clearTimeout(timer)); });
const options: TokenClientOptions = { baseUrl: 'https://tokenvend.internal', apiKey: 'tv_x', refreshBeforeSeconds: 30, sleep };
const client: TokenClient = createTokenClient(options);
const tokenOptions: GetTokenOptions = { expiresIn: '15m', audience: 'orders-api' };
const init: TokenFetchInit = { orgId: 'org_a', tokenOptions, method: 'GET' };
const request: TokenRequest = { orgId: 'org_a', expiresIn: 900 };
export const response: TokenResponse | undefined = undefined;
export const forbidden: TokenClientErrorCode = TokenClientErrorCodes.DEADLINE_EXCEEDED;

const algorithms: VerifierAlgorithm[] = ['ES256', 'EdDSA'];
const fetchLike: FetchLike = (url, requestInit) => fetch(url, requestInit);
const verifierOptions: VerifierOptions = { issuer: 'https://tokenvend.internal', audience: 'orders-api', algorithms, fetch: fetchLike, jwksCooldownMs: 1000 };
const verify: Verifier = createVerifier(verifierOptions);
const guardOptions: RequireOrgTokenOptions = { ...verifierOptions, orgs: ['org_a'] };
export const guard: RequestHandler = requireOrgToken(guardOptions);
export const guardIsTyped: IsAny<ReturnType<typeof requireOrgToken>> = false;
export const claimsAreTyped: IsAny<AuthenticatedRequest<Request>['auth']> = false;

export async function orgOf(): Promise<string> {
  const claims: TokenClaims = await verify(await client.getToken('org_a', tokenOptions));
  const status: number = (await client.fetch('https://orders.internal/x', init)).status;
  return \`\${claims.orgId}:\${claims.jti}:\${status}:\${JSON.stringify(request)}\`;
}

export function explain(error: unknown): string {
  if (error instanceof TokenClientError) {
    const problem: Problem | undefined = error.problem;
    return \`\${error.code} \${error.status ?? 0} \${error.retryAfterMs ?? 0} \${problem?.detail ?? ''}\`;
  }
  if (error instanceof TokenVerificationError) {
    const code: TokenVerificationErrorCode = error.code;
    const asProblem: ProblemCode = code;
    return \`\${asProblem} \${error.claim ?? ''} \${String(error.unavailable)}\`;
  }
  if (error instanceof VerifierConfigError) return error.option;
  return 'unknown';
}

export const orgFrom = (req: Request): string => getTokenClaims(req).orgId;

// @ts-expect-error apiKey is required
createTokenClient({ baseUrl: 'https://tokenvend.internal' });
// @ts-expect-error HMAC is not a VerifierAlgorithm
createVerifier({ issuer: 'https://tokenvend.internal', algorithms: ['HS256'] });
// @ts-expect-error TokenClaims are read-only
export const mutate = (claims: TokenClaims): void => { claims.orgId = 'other'; };
`;

  // skipLibCheck off under nodenext, so tokenvend's own .d.ts files are checked too; the bundler run
  // (what Vite/esbuild projects use) checks that the exports map's "types" conditions resolve there as well.
  test('a strict consumer typechecks against them (nodenext with skipLibCheck off; bundler resolution)', async () => {
    writeFileSync(join(project, 'consumer.ts'), consumer);
    const tsc = (args: readonly string[]) =>
      run(process.execPath, [TSC, '--noEmit', '--strict', '--target', 'es2022', '--lib', 'es2023', '--types', 'node', ...args, 'consumer.ts'], {
        cwd: project,
        env: cleanEnv(),
        timeoutMs: 90_000,
      });
    const [nodenext, bundler] = await Promise.all([
      tsc(['--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', 'false']),
      tsc(['--module', 'preserve', '--moduleResolution', 'bundler', '--skipLibCheck', 'true']),
    ]);
    expect({ code: nodenext.code, output: `${nodenext.stdout}${nodenext.stderr}` }).toEqual({ code: 0, output: '' });
    expect({ code: bundler.code, output: `${bundler.stdout}${bundler.stderr}` }).toEqual({ code: 0, output: '' });
  }, 90_000);
});

// ---------------------------------------------------------------------------------------------------

const cli = (args: readonly string[], options: { env?: Record<string, string>; stdin?: string } = {}): Promise<Result> =>
  run(bin, args, { cwd: project, env: cleanEnv(options.env), stdin: options.stdin, timeoutMs: 20_000 });

describe('the CLI from node_modules/.bin', () => {
  test('--help lists every command; --version is the package version', async () => {
    const help = await cli(['--help']);
    expect({ code: help.code, stderr: help.stderr }).toEqual({ code: 0, stderr: '' });
    for (const name of ['keygen', 'hash-key', 'mint', 'verify', 'keys']) expect(help.stdout).toMatch(new RegExp(`\\n  ${name} +\\S`));
    for (const name of ['keygen', 'hash-key', 'mint', 'verify', 'keys']) {
      const commandHelp = await cli([name, '--help']);
      expect({ code: commandHelp.code, stderr: commandHelp.stderr }).toEqual({ code: 0, stderr: '' });
      expect(commandHelp.stdout.startsWith(`Usage: tokenvend ${name} `)).toBe(true);
    }
    const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    await expect(cli(['--version'])).resolves.toEqual({ code: 0, stdout: `tokenvend ${version}\n`, stderr: '' });
  });

  test('keygen writes a private JWK or a PEM file (mode 0600)', async () => {
    const jwk = await cli(['keygen', '--alg', 'EdDSA', '--jwk']);
    expect({ code: jwk.code, stderr: jwk.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(jwk.stdout)).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', kid: expect.any(String), d: expect.any(String) });

    const out = join(work, 'keygen.pem');
    const pem = await cli(['keygen', '--out', out]);
    expect({ code: pem.code, stdout: pem.stdout }).toEqual({ code: 0, stdout: '' });
    expect(readFileSync(out, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  test('hash-key makes new caller keys and hashes one from stdin; a string not in the caller-key format is refused', async () => {
    const made = await cli(['hash-key', '--new', '--id', 'web-backend']);
    expect({ code: made.code, stderr: made.stderr }).toEqual({ code: 0, stderr: '' });
    const key = /^key: +(tv_\S+)$/m.exec(made.stdout)?.[1] as string;
    const rehashed = await cli(['hash-key', '-'], { stdin: `${key}\n` });
    expect({ code: rehashed.code, stdout: rehashed.stdout, stderr: rehashed.stderr }).toEqual({ code: 0, stdout: `${createHash('sha256').update(key).digest('hex')}\n`, stderr: '' });
    await expect(cli(['hash-key', '-'], { stdin: 'abc\n' })).resolves.toMatchObject({ code: 1, stdout: '' });
    expect(JSON.parse(/^callers entry: (.+)$/m.exec(made.stdout)?.[1] as string)).toEqual({ id: 'web-backend', keySha256: rehashed.stdout.trim(), orgs: ['*'] });
  });

  test('an unknown command exits 2', async () => {
    await expect(cli(['frobnicate'])).resolves.toMatchObject({ code: 2, stdout: '' });
  });
});

// ---------------------------------------------------------------------------------------------------
// The installed server, and the installed client and verifier against it

interface DescribedError {
  name?: string;
  message?: string;
  code?: string;
  status?: number;
  problem?: Record<string, unknown>;
  retryAfterMs?: number;
  claim?: string;
  option?: string;
  isTokenClientError: boolean;
  isTokenVerificationError: boolean;
  isVerifierConfigError: boolean;
}

interface Reply {
  elapsedMs?: number;
  error?: DescribedError;
  token?: string;
  tokens?: string[];
  claims?: Record<string, unknown>;
  status?: number;
  body?: Record<string, unknown>;
  url?: string;
  sleeps?: number[];
  tokenRequests?: number;
  inspected?: string;
}

/** The consumer process (fixtures/consumer-driver.mjs) running in the temporary project. */
interface Consumer {
  call(op: string, args?: Record<string, unknown>): Promise<Reply>;
  stop(): Promise<void>;
}

function startConsumer(cwd: string): Consumer {
  const child = spawn(process.execPath, ['consumer-driver.mjs'], { cwd, env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    const { id, result, failure } = JSON.parse(line) as { id: number; result?: Reply; failure?: string };
    const waiter = pending.get(id);
    pending.delete(id);
    if (failure !== undefined) waiter?.reject(new Error(`consumer failed: ${failure}`));
    else waiter?.resolve(result as Reply);
  });
  child.on('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`consumer exited (${String(code)}): ${stderr}`));
    pending.clear();
  });
  let next = 0;
  return {
    call(op, args = {}) {
      const id = (next += 1);
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.stdin.write(`${JSON.stringify({ id, op, args })}\n`);
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

interface Server {
  readonly child: ChildProcess;
  readonly logs: () => Array<Record<string, unknown>>;
  readonly stderr: () => string;
  stop(): Promise<void>;
}

async function startInstalledServer(env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, [join(installed, 'dist', 'server', 'main.js')], { cwd: project, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const logs = () =>
    out
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const server: Server = {
    child,
    logs,
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 12_000);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    await until('the "listening" log line', () => {
      if (child.exitCode !== null) throw new Error(`the installed server exited (${child.exitCode}): ${err}`);
      return logs().find((line) => line.event === 'listening');
    }, 10_000);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

describe('the installed server, client and verifier', () => {
  const callerIds = ['cache', 'flight', 'refresh', 'limited', 'retry', 'narrow', 'fetcher', 'verifier'] as const;
  type CallerId = (typeof callerIds)[number];
  const callerKeys = {} as Record<CallerId, string>;
  let keysFile: string;
  let firstKid: string;
  let issuer: string;
  let jwksUri: string;
  let server: Server;
  let consumer: Consumer;

  const issuedTo = (caller: CallerId) => server.logs().filter((line) => line.event === 'token.issued' && line.caller === caller);
  const rejectedFor = (caller: CallerId) => server.logs().filter((line) => line.event === 'token.rejected' && line.caller === caller);
  /** The audit log reaches this process through a pipe, a little after the response: wait for `count` lines, then make sure no more follow. */
  async function expectIssued(caller: CallerId, count: number): Promise<void> {
    await until(`${count} token.issued lines for ${caller}`, () => (issuedTo(caller).length >= count ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(issuedTo(caller)).toHaveLength(count);
  }
  const client = (name: string, caller: CallerId, options: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
    consumer.call('createClient', { name, options: { baseUrl: issuer, apiKey: callerKeys[caller], ...options }, ...extra });
  const getToken = (name: string, orgId?: string, options?: Record<string, unknown>) => consumer.call('getToken', { client: name, orgId, options });

  beforeAll(async () => {
    const keysDir = join(work, 'signing');
    mkdirSync(keysDir);
    keysFile = join(keysDir, 'keys.json');
    const init = await cli(['keys', 'init', '--file', keysFile]);
    expect({ code: init.code, stderr: init.stderr }).toEqual({ code: 0, stderr: '' });
    firstKid = /^created .*: ES256 key (\S+) signs$/m.exec(init.stdout)?.[1] as string;
    expect(firstKid).toEqual(expect.any(String));

    const callers = await Promise.all(
      callerIds.map(async (id) => {
        const made = await cli(['hash-key', '--new', '--id', id]);
        expect(made.code).toBe(0);
        callerKeys[id] = /^key: +(\S+)$/m.exec(made.stdout)?.[1] as string;
        const entry = JSON.parse(/^callers entry: (.+)$/m.exec(made.stdout)?.[1] as string) as Record<string, unknown>;
        if (id === 'limited') entry.rateLimitPerMinute = 1;
        if (id === 'narrow') entry.orgs = ['org_a'];
        return entry;
      }),
    );

    // The issuer is the server's own URL (for discovery), so the port is chosen before it starts.
    const port = await freeLoopbackPort();
    issuer = `http://127.0.0.1:${port}`;
    jwksUri = `${issuer}/.well-known/jwks.json`;
    server = await startInstalledServer({
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      SIGNING_KEYS_FILE: keysFile,
      CALLERS: JSON.stringify(callers),
      TOKEN_ISSUER: issuer,
      TOKEN_AUDIENCE: AUDIENCE,
      RATE_LIMIT_PER_MINUTE: '100',
    });
    expect(server.logs().find((line) => line.event === 'listening')).toMatchObject({ port, mode: 'production', demo: false, kid: firstKid, callers: callerIds.length });

    copyFileSync(DRIVER, join(project, 'consumer-driver.mjs'));
    consumer = startConsumer(project);
  }, 60_000);

  afterAll(async () => {
    await consumer?.stop();
    await server?.stop();
  });

  test('serves the openapi.yaml it was packed with; /docs, not shipped, answers 503 problem+json', async () => {
    const spec = await fetch(`${issuer}/openapi.yaml`);
    expect(spec.status).toBe(200);
    expect(await spec.text()).toBe(readFileSync(join(installed, 'openapi.yaml'), 'utf8'));
    // The reference page is rendered by `npm run build` (and the container image); the tarball leaves it out (2.5 MB).
    const docs = await fetch(`${issuer}/docs`);
    expect(docs.status).toBe(503);
    expect(docs.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    await docs.body?.cancel();
  });

  describe('@tokenvend/client', () => {
    test('caching: a second getToken returns the same token, and the server issued one', async () => {
      await client('cache', 'cache');
      const first = await getToken('cache', 'org_a');
      const second = await getToken('cache', 'org_a');
      expect(first.error).toBeUndefined();
      expect(second.token).toBe(first.token);
      expect(decodeJwt(first.token as string)).toMatchObject({ orgId: 'org_a', iss: issuer, aud: AUDIENCE });
      await expectIssued('cache', 1);
      // The caller key never shows when the client is logged.
      const { inspected } = await consumer.call('clientState', { client: 'cache' });
      expect(inspected).toBe(`TokenClient { tokenUrl: '${issuer}/tokens' }`);
    });

    test('single flight: 10 concurrent getToken calls share one request', async () => {
      await client('flight', 'flight');
      const { tokens, error } = await consumer.call('getTokenConcurrently', { client: 'flight', orgId: 'org_b', count: 10 });
      expect(error).toBeUndefined();
      expect(tokens).toHaveLength(10);
      expect(new Set(tokens).size).toBe(1);
      await expectIssued('flight', 1);
    });

    test('refresh: the token is replaced once 80 % of its life has passed on the client clock', async () => {
      await client('refresh', 'refresh', {}, { fakeClock: true });
      const first = await getToken('refresh', 'org_c', { expiresIn: 60 });
      await consumer.call('advanceClock', { client: 'refresh', ms: 47_000 });
      const beforeWindow = await getToken('refresh', 'org_c', { expiresIn: 60 });
      await consumer.call('advanceClock', { client: 'refresh', ms: 2_000 });
      const inWindow = await getToken('refresh', 'org_c', { expiresIn: 60 });
      expect(beforeWindow.token).toBe(first.token);
      expect(inWindow.token).toEqual(expect.any(String));
      expect(inWindow.token).not.toBe(first.token);
      expect(decodeJwt(inWindow.token as string)).toMatchObject({ orgId: 'org_c' });
      await expectIssued('refresh', 2);

      // refreshBeforeSeconds at or above the token's life: every call fetches a new token.
      await client('refresh-always', 'refresh', { refreshBeforeSeconds: 3600 });
      const a = await getToken('refresh-always', 'org_c', { expiresIn: 60 });
      const b = await getToken('refresh-always', 'org_c', { expiresIn: 60 });
      expect(a.token).not.toBe(b.token);
      await expectIssued('refresh', 4);
    });

    test('Retry-After: over its limit, the client gives up at once when Retry-After is past its deadline, else waits at least Retry-After', async () => {
      await client('limited-1', 'limited');
      expect((await getToken('limited-1', 'org_a')).token).toEqual(expect.any(String));

      await client('limited-2', 'limited', { deadlineMs: 2_000 });
      const gaveUp = await getToken('limited-2', 'org_a');
      expect(gaveUp.error).toMatchObject({
        isTokenClientError: true,
        code: 'ERR_TOKENVEND_CLIENT_DEADLINE_EXCEEDED',
        status: 429,
        problem: { status: 429, code: 'ERR_TOKENVEND_RATE_LIMITED' },
      });
      expect(gaveUp.error?.retryAfterMs).toBeGreaterThan(2_000);
      expect(gaveUp.elapsedMs).toBeLessThan(2_000);

      // Waits are recorded and skipped: the server's Retry-After (up to a minute) sets the wait.
      await client('limited-3', 'limited', { deadlineMs: 120_000, maxRetries: 1 }, { recordSleeps: true });
      const retried = await getToken('limited-3', 'org_a');
      expect(retried.error).toMatchObject({ isTokenClientError: true, code: 'ERR_TOKENVEND_RATE_LIMITED', status: 429 });
      const { sleeps } = await consumer.call('clientState', { client: 'limited-3' });
      expect(sleeps).toHaveLength(1);
      expect(sleeps?.[0]).toBeGreaterThanOrEqual(retried.error?.retryAfterMs as number);
      expect(retried.error?.retryAfterMs).toBeGreaterThan(0);
      expect(retried.error?.retryAfterMs).toBeLessThanOrEqual(60_000);
      await expectIssued('limited', 1);
      await until('3 rate_limited audit lines', () => (rejectedFor('limited').filter((line) => line.reason === 'rate_limited').length === 3 ? true : undefined));
    });

    test('Retry-After: a short one is waited out, then the retry gets the token', async () => {
      // The real limiter's window is a minute; a 429 with "Retry-After: 1" comes from the fetch seam, the retry from the server.
      await client('retry', 'retry', {}, { first429RetryAfter: 1 });
      const { token, error, elapsedMs } = await getToken('retry', 'org_a');
      expect(error).toBeUndefined();
      expect(token).toEqual(expect.any(String));
      expect(elapsedMs).toBeGreaterThanOrEqual(990);
      expect((await consumer.call('clientState', { client: 'retry' })).tokenRequests).toBe(2);
      await expectIssued('retry', 1);
    });

    test('the typed error: 403 and 401 from the server become TokenClientError with the problem document, not retried', async () => {
      await client('narrow', 'narrow', {}, { recordSleeps: true });
      expect((await getToken('narrow', 'org_a')).token).toEqual(expect.any(String));
      const forbidden = await getToken('narrow', 'org_b');
      expect(forbidden.error).toEqual({
        name: 'TokenClientError',
        message: expect.any(String),
        code: 'ERR_TOKENVEND_FORBIDDEN',
        status: 403,
        problem: {
          type: 'urn:tokenvend:problem:forbidden',
          title: 'Forbidden',
          status: 403,
          detail: expect.any(String),
          code: 'ERR_TOKENVEND_FORBIDDEN',
          instance: '/tokens',
        },
        isTokenClientError: true,
        isTokenVerificationError: false,
        isVerifierConfigError: false,
      });
      expect((await consumer.call('clientState', { client: 'narrow' })).sleeps).toEqual([]);

      const wrongKey = `tv_${'x'.repeat(43)}`;
      await consumer.call('createClient', { name: 'stranger', options: { baseUrl: issuer, apiKey: wrongKey } });
      const unauthenticated = await getToken('stranger', 'org_a');
      expect(unauthenticated.error).toMatchObject({ isTokenClientError: true, code: 'ERR_TOKENVEND_UNAUTHENTICATED', status: 401, problem: { status: 401 } });
      expect(JSON.stringify(unauthenticated)).not.toContain(wrongKey);
    });

    test('client.fetch sends the token to a consumer API guarded by requireOrgToken', async () => {
      const { url } = await consumer.call('serveProtected', { options: { issuer, audience: AUDIENCE, orgs: ['org_a'] } });
      await client('fetcher', 'fetcher');
      const allowed = await consumer.call('clientFetch', { client: 'fetcher', url, init: { orgId: 'org_a' } });
      expect(allowed).toMatchObject({ status: 200, body: { orgId: 'org_a', auth: 'org_a', local: 'org_a' } });
      const otherOrg = await consumer.call('clientFetch', { client: 'fetcher', url, init: { orgId: 'org_b' } });
      expect(otherOrg).toMatchObject({ status: 403, body: { status: 403, code: 'ERR_TOKENVEND_ORG_FORBIDDEN' } });

      const anonymous = await fetch(url as string);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="tokenvend"');
      expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await anonymous.json()).toMatchObject({ code: 'ERR_TOKENVEND_TOKEN_MISSING' });
    });
  });

  describe('@tokenvend/verify', () => {
    let token: string;

    beforeAll(async () => {
      await client('verifier', 'verifier');
      token = (await getToken('verifier', 'org_v', { expiresIn: '10m' })).token as string;
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid: firstKid });
    });

    const createVerifier = (name: string, options: Record<string, unknown>) => consumer.call('createVerifier', { name, options });
    const verify = (verifier: string, jwt: string) => consumer.call('verify', { verifier, token: jwt });

    test('a good token, through issuer discovery and through jwksUri', async () => {
      await createVerifier('discovered', { issuer, audience: AUDIENCE });
      await createVerifier('by-jwks', { jwksUri, issuer, audience: [AUDIENCE, 'billing-api'] });
      for (const verifier of ['discovered', 'by-jwks']) {
        const { claims, error } = await verify(verifier, token);
        expect(error).toBeUndefined();
        expect(claims).toEqual({ orgId: 'org_v', iss: issuer, aud: AUDIENCE, jti: expect.any(String), iat: expect.any(Number), exp: expect.any(Number) });
        expect((claims?.exp as number) - (claims?.iat as number)).toBe(600);
      }
    });

    test('a tampered token: signature or payload changed', async () => {
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
      const otherOrg = Buffer.from(JSON.stringify({ ...decodeJwt(token), orgId: 'org_admin' })).toString('base64url');
      for (const tampered of [`${header}.${payload}.${flipped}`, `${header}.${otherOrg}.${signature}`]) {
        const { error } = await verify('by-jwks', tampered);
        expect(error).toMatchObject({ name: 'TokenVerificationError', isTokenVerificationError: true, code: 'ERR_TOKENVEND_TOKEN_INVALID' });
        expect(error?.message).not.toContain(tampered);
      }
    });

    test('wrong issuer, wrong audience, an issuer that discovery does not confirm', async () => {
      await createVerifier('wrong-iss', { jwksUri, issuer: 'https://tokens.elsewhere.example', audience: AUDIENCE });
      await createVerifier('wrong-aud', { jwksUri, issuer, audience: 'billing-api' });
      await createVerifier('impostor', { issuer: `${issuer}/`, audience: AUDIENCE });
      expect((await verify('wrong-iss', token)).error).toMatchObject({ isTokenVerificationError: true, code: 'ERR_TOKENVEND_CLAIM_INVALID', claim: 'iss' });
      expect((await verify('wrong-aud', token)).error).toMatchObject({ isTokenVerificationError: true, code: 'ERR_TOKENVEND_CLAIM_INVALID', claim: 'aud' });
      expect((await verify('impostor', token)).error).toMatchObject({ isTokenVerificationError: true, code: 'ERR_TOKENVEND_DISCOVERY_FAILED' });
    });

    test('an expired token signed by the published key; a token from a key that was never published', async () => {
      const [signingJwk] = (JSON.parse(readFileSync(keysFile, 'utf8')) as { keys: JWK[] }).keys;
      const now = Math.floor(Date.now() / 1000);
      const expired = await new SignJWT({ orgId: 'org_v', jti: 'expired-1' })
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: firstKid })
        .setIssuer(issuer)
        .setAudience(AUDIENCE)
        .setIssuedAt(now - 600)
        .setExpirationTime(now - 120)
        .sign(await importJWK(signingJwk as JWK, 'ES256'));
      expect((await verify('by-jwks', expired)).error).toMatchObject({ isTokenVerificationError: true, code: 'ERR_TOKENVEND_TOKEN_EXPIRED' });

      const stranger = await new SignJWT({ orgId: 'org_v', jti: 'stranger-1' })
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: 'never-published' })
        .setIssuer(issuer)
        .setAudience(AUDIENCE)
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
      expect((await verify('by-jwks', stranger)).error).toMatchObject({ isTokenVerificationError: true, code: 'ERR_TOKENVEND_TOKEN_INVALID' });
    });

    test('an HMAC algorithm is refused at construction with VerifierConfigError', async () => {
      const { error } = await createVerifier('hmac', { jwksUri, algorithms: ['HS256'] });
      expect(error).toMatchObject({ name: 'VerifierConfigError', isVerifierConfigError: true, option: 'algorithms', code: 'ERR_TOKENVEND_VERIFIER_CONFIG' });
    });

    test('CLI mint signs with the key set; CLI verify --jwks accepts it against the running server, refuses a tampered one', async () => {
      const env = { SIGNING_KEYS_FILE: keysFile, TOKEN_ISSUER: issuer, TOKEN_AUDIENCE: AUDIENCE };
      const minted = await cli(['mint', '--org', 'org_cli', '--ttl', '60'], { env });
      expect({ code: minted.code, stderr: minted.stderr }).toEqual({ code: 0, stderr: '' });
      const mintedToken = minted.stdout.trim();
      expect(decodeProtectedHeader(mintedToken)).toMatchObject({ kid: firstKid });

      const checked = await cli(['verify', mintedToken, '--jwks', jwksUri, '--audience', AUDIENCE, '--iss', issuer]);
      expect({ code: checked.code, stderr: checked.stderr }).toEqual({ code: 0, stderr: '' });
      const claims = JSON.parse(checked.stdout) as Record<string, number | string>;
      expect(claims).toMatchObject({ orgId: 'org_cli', iss: issuer, aud: AUDIENCE });
      expect((claims.exp as number) - (claims.iat as number)).toBe(60);
      expect((await verify('discovered', mintedToken)).claims).toMatchObject({ orgId: 'org_cli' });

      const fromStdin = await cli(['verify', '-', '--jwks', jwksUri], { stdin: `${token}\n` });
      expect(fromStdin.code).toBe(0);
      expect(JSON.parse(fromStdin.stdout)).toMatchObject({ orgId: 'org_v' });

      const tampered = `${mintedToken.slice(0, -4)}${mintedToken.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
      const refused = await cli(['verify', tampered, '--jwks', jwksUri]);
      expect({ code: refused.code, stdout: refused.stdout }).toEqual({ code: 1, stdout: '' });
      expect(refused.stderr).toMatch(/\[ERR_TOKENVEND_TOKEN_INVALID\]\n$/);
    });

    test('rotation with keys add + promote: the server reloads; a token with the new kid verifies through the same verifier (after its cooldown), not before', async () => {
      await createVerifier('short-cooldown', { jwksUri, issuer, audience: AUDIENCE, jwksCooldownMs: 0 });
      await createVerifier('default-cooldown', { jwksUri, issuer, audience: AUDIENCE });
      // Both fetch the JWKS now, when it holds the first key only.
      expect((await verify('short-cooldown', token)).claims).toMatchObject({ orgId: 'org_v' });
      expect((await verify('default-cooldown', token)).claims).toMatchObject({ orgId: 'org_v' });

      const added = await cli(['keys', 'add', '--file', keysFile]);
      expect({ code: added.code, stderr: added.stderr }).toEqual({ code: 0, stderr: '' });
      const nextKid = /^added ES256 key (\S+): published, not signing/m.exec(added.stdout)?.[1] as string;
      expect(nextKid).toEqual(expect.any(String));
      // "--" because an RFC 7638 thumbprint may begin with "-", which would otherwise read as an option.
      // JWKS_MAX_AGE=0 lets promote follow add at once; what a verifier's own cache does is what this test checks.
      const promoted = await cli(['keys', 'promote', '--file', keysFile, '--', nextKid], { env: { JWKS_MAX_AGE: '0' } });
      expect({ code: promoted.code, stderr: promoted.stderr }).toEqual({ code: 0, stderr: '' });
      expect(promoted.stdout).toMatch(new RegExp(`^ES256 key ${nextKid.replace(/[-]/g, '\\-')} signs now; 1 other key\\(s\\) stay published\\. \\S+ may be retired from \\S+Z \\(TOKEN_MAX_TTL \\+ JWKS_MAX_AGE, 1h\\)\\n$`));
      const listed = await cli(['keys', 'list', '--file', keysFile]);
      expect(listed.code).toBe(0);
      expect(listed.stdout.split('\n').filter(Boolean).map((line) => line.split(/\s+/))).toEqual([
        ['KID', 'ALG', 'ROLE'],
        [nextKid, 'ES256', 'signing'],
        [firstKid, 'ES256', 'published'],
      ]);

      await until('the server to reload the key set with the new key active', () =>
        server.logs().find((line) => line.event === 'keys.reloaded' && line.active === nextKid),
      );
      await client('after-rotation', 'verifier');
      const rotated = (await getToken('after-rotation', 'org_v')).token as string;
      expect(decodeProtectedHeader(rotated)).toMatchObject({ kid: nextKid });

      expect((await verify('short-cooldown', rotated)).claims).toMatchObject({ orgId: 'org_v' });
      // Within the default 30 s cooldown the unknown kid is not refetched: promoting before verifiers saw the key is what the runbook's wait prevents.
      expect((await verify('default-cooldown', rotated)).error).toMatchObject({ code: 'ERR_TOKENVEND_TOKEN_INVALID' });
      // Tokens of the old key still verify while it stays published.
      expect((await verify('short-cooldown', token)).claims).toMatchObject({ orgId: 'org_v' });
    });
  });
});
