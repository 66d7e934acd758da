import type { CliIo, CommandTable } from '../../src/cli/cli-io.js';
import { hashKey, HASH_KEY_HELP } from '../../src/cli/commands/hash-key.js';
import { keygen, KEYGEN_HELP } from '../../src/cli/commands/keygen.js';
import { mint, MINT_HELP } from '../../src/cli/commands/mint.js';
import { verify, VERIFY_HELP } from '../../src/cli/commands/verify.js';
import { runCli } from '../../src/cli/run-cli.js';
import { memoryIo, run } from './helpers/memory-io.js';

const calls: Array<{ argv: readonly string[]; io: CliIo }> = [];
const table: CommandTable = {
  echo: {
    summary: 'Records its arguments',
    run: async (argv, io) => {
      calls.push({ argv, io });
      return argv.length === 0 ? 0 : 1;
    },
  },
  'hash-key': { summary: 'Hash a caller key', run: hashKey },
};

async function cli(argv: string[]) {
  const { io, stdout, stderr } = memoryIo();
  const code = await runCli(table, argv, io, { version: '9.9.9' });
  return { code, stdout: stdout(), stderr: stderr() };
}

const OVERVIEW = `Usage: tokenvend <command> [options]

Operator tools for tokenvend: signing keys, caller keys, and tokens.

Commands:
  echo      Records its arguments
  hash-key  Hash a caller key

Run "tokenvend <command> --help" for a command's options and examples.
Exit status: 0 success, 1 failure, 2 usage error.
`;

beforeEach(() => {
  calls.length = 0;
});

describe('runCli: the top level', () => {
  test('hands the rest of the arguments and the io to the command, and returns its exit code', async () => {
    await expect(cli(['echo', 'a', '--b'])).resolves.toMatchObject({ code: 1 });
    expect(calls.map((call) => call.argv)).toEqual([['a', '--b']]);
    await expect(cli(['echo'])).resolves.toMatchObject({ code: 0 });
  });

  test.each([['--help'], ['-h'], ['help']])('%s prints the command list on stdout', async (flag) => {
    await expect(cli([flag])).resolves.toEqual({ code: 0, stdout: OVERVIEW, stderr: '' });
  });

  test('help COMMAND prints that command\'s help', async () => {
    await expect(cli(['help', 'hash-key'])).resolves.toEqual({ code: 0, stdout: HASH_KEY_HELP.text, stderr: '' });
  });

  test('--version', async () => {
    await expect(cli(['--version'])).resolves.toEqual({ code: 0, stdout: 'tokenvend 9.9.9\n', stderr: '' });
  });

  test('no command is a usage error', async () => {
    await expect(cli([])).resolves.toEqual({ code: 2, stdout: '', stderr: OVERVIEW });
  });

  test.each<[string, string[], string]>([
    ['an unknown command', ['keys', 'list'], 'unknown command "keys"'],
    ['a prototype member', ['constructor'], 'unknown command "constructor"'],
    ['an unknown option', ['--verbose'], 'unknown option --verbose'],
    ['help for an unknown command', ['help', 'nope'], 'unknown command "nope"'],
  ])('%s is a usage error (exit 2)', async (_name, argv, message) => {
    await expect(cli(argv)).resolves.toEqual({ code: 2, stdout: '', stderr: `tokenvend: ${message}\n\n${OVERVIEW}` });
    expect(calls).toHaveLength(0);
  });

  test.each<[string, string[], string]>([
    ['a command that looks like a secret', ['tv_c2VjcmV0LXNlY3JldC1zZWNyZXQ/+='], 'unknown command'],
    ['an option with a value', ['--key=tv_secret'], 'unknown option --key'],
    ['an option that looks like a secret', ['-tv_secret/+='], 'unknown option'],
  ])('%s is not echoed', async (_name, argv, message) => {
    const { code, stderr } = await cli(argv);
    expect(code).toBe(2);
    expect(stderr).toBe(`tokenvend: ${message}\n\n${OVERVIEW}`);
    expect(stderr).not.toContain('secret');
  });
});

describe('--help and -h on every command', () => {
  test.each([
    ['keygen', keygen, KEYGEN_HELP],
    ['hash-key', hashKey, HASH_KEY_HELP],
    ['mint', mint, MINT_HELP],
    ['verify', verify, VERIFY_HELP],
  ] as const)('%s', async (name, command, help) => {
    for (const flag of ['--help', '-h']) {
      await expect(run(command, [flag])).resolves.toEqual({ code: 0, stdout: help.text, stderr: '' });
    }
    expect(help.name).toBe(name);
    expect(help.text).toMatch(new RegExp(`^Usage: tokenvend ${name} `));
    expect(help.text).toMatch(/\nOptions:\n/);
    expect(help.text).toMatch(/\n {2}-h, --help {4}/);
    expect(help.text).toMatch(new RegExp(`\\nExamples:\\n(  .*tokenvend ${name}.*\\n)+`));
    // Help wins over whatever else is wrong with the line, and does nothing else.
    await expect(run(command, ['--bogus', 'x', '-h'], { env: {} })).resolves.toEqual({ code: 0, stdout: help.text, stderr: '' });
  });

  test('-h after -- is an argument, not a request for help', async () => {
    // "-h" is taken as the key to hash (and refused, since it is not a caller key), not as --help.
    const { code, stdout, stderr } = await run(hashKey, ['--', '-h']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).not.toContain('Usage:');
    expect(stderr).toMatch(/^tokenvend hash-key: /);
  });
});
