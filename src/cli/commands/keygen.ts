/** `tokenvend keygen`: a new private signing key on stdout (or in a new 0600 file). */
import { writeFile } from 'node:fs/promises';
import { options as configOptions } from '../../config/options.js';
import { ASYMMETRIC_ALGORITHMS } from '../../keys/algorithms.js';
import type { Command } from '../cli-io.js';
import { generatePrivateKey, isInferredAlgorithm, NEW_RSA_BITS, toPkcs8Pem, toPrivateJwk, type KeygenAlgorithm } from '../generate-private-key.js';
import { parseCommandLine } from '../parse-command-line.js';
import { runCommand, type CommandHelp } from '../run-command.js';
import { UsageError } from '../usage-error.js';

export const KEYGEN_HELP: CommandHelp = {
  name: 'keygen',
  text: `Usage: tokenvend keygen [--alg ALG] [--jwk [--kid KID]] [--out FILE]

Generates a new private signing key for PRIVATE_KEY / PRIVATE_KEY_FILE and writes it to stdout.

Options:
  --alg ALG     ${ASYMMETRIC_ALGORITHMS.join(', ')} (default ES256).
                RS*/PS*: RSA ${NEW_RSA_BITS} bits; ES256/ES384/ES512: P-256/P-384/P-521; EdDSA: Ed25519.
  --jwk         Write a private JWK (one line of JSON) with "kid" and "alg" instead of a PKCS#8 PEM.
                The service then needs neither SIGNING_ALG nor KEY_ID.
  --kid KID     The JWK's "kid" (default: its RFC 7638 SHA-256 thumbprint). Needs --jwk;
                for a PEM, set KEY_ID instead.
  --out FILE    Write to FILE, created with mode 0600; an existing file is never overwritten.
  -h, --help    Show this help.

A PEM does not record its algorithm: for RS384/RS512/PS* keys, also set SIGNING_ALG (a note on
stderr says so), or use --jwk.

Examples:
  tokenvend keygen --out signing-key.pem
  tokenvend keygen --alg EdDSA --jwk --out signing-key.jwk.json
  PRIVATE_KEY_FILE=signing-key.pem tokenvend mint --org org_a
`,
};

const OPTIONS = {
  alg: { type: 'string' },
  jwk: { type: 'boolean' },
  kid: { type: 'string' },
  out: { type: 'string' },
} as const;

/**
 * @example
 * await keygen(['--alg', 'EdDSA', '--jwk'], io); // 0, one line of JWK JSON on io.stdout
 */
export const keygen: Command = (argv, io) =>
  runCommand(KEYGEN_HELP, argv, io, async () => {
    const { values, positionals } = parseCommandLine(argv, OPTIONS);
    if (positionals.length > 0) throw new UsageError('takes no arguments');
    const alg = values.alg ?? 'ES256';
    if (!isKeygenAlgorithm(alg)) throw new UsageError(`--alg must be one of ${ASYMMETRIC_ALGORITHMS.join(', ')}`);
    if (values.kid !== undefined && !values.jwk) throw new UsageError('--kid needs --jwk (a PEM cannot carry a kid; set KEY_ID instead)');
    if (values.kid !== undefined && !configOptions.KEY_ID.schema.safeParse(values.kid).success) {
      throw new UsageError('--kid must be 1-128 printable ASCII characters without spaces');
    }
    if (values.out === '') throw new UsageError('--out needs a file name');

    const key = await generatePrivateKey(alg);
    const output = values.jwk ? `${JSON.stringify(await toPrivateJwk(key, alg, values.kid))}\n` : toPkcs8Pem(key);
    if (values.out === undefined) {
      io.stdout.write(output);
    } else {
      await writeNewSecretFile(values.out, output);
    }
    if (!values.jwk && !isInferredAlgorithm(key, alg)) {
      io.stderr.write(`note: a PEM does not record its algorithm; set SIGNING_ALG=${alg} with this key (or use --jwk)\n`);
    }
    return 0;
  });

function isKeygenAlgorithm(alg: string): alg is KeygenAlgorithm {
  return (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg);
}

/** A shell redirect would create the file with the umask's mode (often 0644): a private key deserves 0600. */
async function writeNewSecretFile(path: string, content: string): Promise<void> {
  try {
    await writeFile(path, content, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === 'EEXIST' ? `--out: ${path} exists; choose a new file name` : `--out: cannot write ${path} (${code ?? 'write error'})`);
  }
}
