#!/usr/bin/env node
/** The `tokenvend` executable: the command table, wired to the process's streams and environment. */
import { readFileSync } from 'node:fs';
import type { CliIo, CommandTable } from './cli-io.js';
import { runCli } from './run-cli.js';

/**
 * Every command, in the order `tokenvend --help` lists them; each lives in commands/<name>.ts and is
 * imported on use: mint alone pulls in the service's configuration and Express, which --help and
 * hash-key should not wait for.
 */
const commands: CommandTable = {
  keygen: {
    summary: 'Generate a private signing key (PKCS#8 PEM or private JWK)',
    run: async (argv, io) => (await import('./commands/keygen.js')).keygen(argv, io),
  },
  'hash-key': {
    summary: 'Hash a caller key for CALLERS, or make a new caller key',
    run: async (argv, io) => (await import('./commands/hash-key.js')).hashKey(argv, io),
  },
  mint: {
    summary: "Sign a token locally with the service's key and settings",
    run: async (argv, io) => (await import('./commands/mint.js')).mint(argv, io),
  },
  verify: {
    summary: 'Verify a token against a JWKS, an issuer or a key file; print its claims',
    run: async (argv, io) => (await import('./commands/verify.js')).verify(argv, io),
  },
  keys: {
    summary: 'Manage the signing key set of SIGNING_KEYS_FILE: init, add, promote, retire, list',
    run: async (argv, io) => (await import('./commands/keys.js')).keys(argv, io),
  },
  'org-keys': {
    summary: 'Manage the per-org keys of ORG_KEYS_FILE: set, remove, list',
    run: async (argv, io) => (await import('./commands/org-keys.js')).orgKeys(argv, io),
  },
  callers: { summary: 'Manage the callers of CALLERS_FILE: add (prints the new key once), revoke, list', run: async (argv, io) => (await import('./commands/callers.js')).callers(argv, io) },
};

const io: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  // A getter: process.stdin is only opened by the commands that read it.
  get stdin() {
    return process.stdin;
  },
  env: process.env,
};

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

// exitCode rather than process.exit(): stdout is flushed before the process ends, even into a pipe.
process.exitCode = await runCli(commands, process.argv.slice(2), io, { version: packageVersion() });
