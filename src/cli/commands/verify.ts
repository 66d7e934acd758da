/** `tokenvend verify`: checks a token against the issuer's JWKS or a key file and prints its claims. */
import { readFile } from 'node:fs/promises';
import {
  TokenVerificationError,
  VERIFIER_DEFAULTS as DEFAULTS,
  VerifierConfigError,
  createVerifier,
  readTokenClaims,
  toVerificationError,
  type TokenClaims,
  type Verifier,
} from '@tokenvend/verify';
import { jwtVerify, type JWTVerifyOptions } from 'jose';
import { KeyMaterialError } from '../../keys/key-material-error.js';
import type { CliIo, Command } from '../cli-io.js';
import { loadVerificationKey, loadVerificationSecret, type VerificationKey } from '../load-verification-key.js';
import { parseCommandLine } from '../parse-command-line.js';
import { readStdin } from '../read-stdin.js';
import { runCommand, type CommandHelp } from '../run-command.js';
import { UsageError } from '../usage-error.js';

export const VERIFY_HELP: CommandHelp = {
  name: 'verify',
  text: `Usage: tokenvend verify (TOKEN | -) (--jwks URL | --issuer URL | --key FILE | --secret FILE) [--audience AUD]... [--iss ISS]

Verifies a tokenvend token and prints its claims as JSON on stdout. A token that fails prints why
on stderr and exits 1. Checks the signature, exp and nbf (with ${DEFAULTS.clockToleranceSeconds} s of clock tolerance), the
presence of iat, exp, orgId and jti, and iss and aud when asked to.

Arguments:
  TOKEN            The JWT; - reads it from stdin (keeps it out of the shell history).

Key source (exactly one):
  --jwks URL       The service's JWKS, e.g. https://tokens.example.com/.well-known/jwks.json.
  --issuer URL     The issuer: finds the JWKS through OpenID discovery
                   (URL/.well-known/openid-configuration) and requires iss to equal URL.
  --key FILE       A key file: a public or private PEM (only the public part is used; found
                   anywhere in the file, comments, "Bag Attributes" and blocks that hold no key,
                   such as EC PARAMETERS, are skipped; of a certificate chain, the leaf; on one
                   line with literal \\n escapes too), a public or private JWK, a JWKS document,
                   or an "oct" JWK (HS256/HS384/HS512). A PEM file naming two different keys
                   (two public or private keys, a key and another key's certificate, certificates
                   that are not one chain) is refused: several keys go in a JWKS document.
  --secret FILE    An HMAC secret file (HS256/HS384/HS512). Only --secret and an "oct" JWK verify
                   HMAC tokens: a key file is never taken as a secret.

Options:
  --audience AUD   Require aud to contain AUD; repeat to accept any of several.
  --iss ISS        Require iss to equal ISS (with --jwks or --key).
  -h, --help       Show this help.

Examples:
  tokenvend verify "$TOKEN" --jwks https://tokens.example.com/.well-known/jwks.json --audience billing
  tokenvend mint --org org_a | tokenvend verify - --key signing-key.pem
`,
};

const OPTIONS = {
  jwks: { type: 'string' },
  issuer: { type: 'string' },
  key: { type: 'string' },
  secret: { type: 'string' },
  audience: { type: 'string', multiple: true },
  iss: { type: 'string' },
} as const;

const VERIFIER_OPTION_FLAGS: Readonly<Record<string, string>> = { jwksUri: '--jwks', issuer: '--issuer', audience: '--audience' };

/**
 * @example
 * await verify([token, '--key', 'signing-key.pem'], io); // 0, the claims as JSON on io.stdout
 */
export const verify: Command = (argv, io) =>
  runCommand(VERIFY_HELP, argv, io, async () => {
    const { values, positionals } = parseCommandLine(argv, OPTIONS);
    if (positionals.length === 0) throw new UsageError('the TOKEN (or - for stdin) is missing');
    if (positionals.length > 1) throw new UsageError('takes one TOKEN');
    const sources = (['jwks', 'issuer', 'key', 'secret'] as const).filter((name) => values[name] !== undefined);
    if (sources.length !== 1) throw new UsageError(sources.length === 0 ? 'one of --jwks, --issuer, --key or --secret is required' : `--${sources.join(' and --')} are exclusive; give one`);
    if (values.iss !== undefined && values.issuer !== undefined) throw new UsageError('--iss cannot be combined with --issuer, which already requires iss to equal it');
    if (values.iss === '') throw new UsageError('--iss must not be empty');
    if (values.audience?.includes('')) throw new UsageError('--audience must not be empty');

    const verifyToken =
      values.key !== undefined
        ? await keyFileVerifier('--key', values.key, loadVerificationKey, values)
        : values.secret !== undefined
          ? await keyFileVerifier('--secret', values.secret, loadVerificationSecret, values)
          : remoteVerifier(values);
    const token = await readToken(positionals[0] as string, io);
    let claims: TokenClaims;
    try {
      claims = await verifyToken(token);
    } catch (error) {
      throw describeRejection(error);
    }
    io.stdout.write(`${JSON.stringify(claims, null, 2)}\n`);
    return 0;
  });

interface Checks {
  readonly audience?: string[] | undefined;
  readonly iss?: string | undefined;
}

function remoteVerifier(values: Checks & { jwks?: string | undefined; issuer?: string | undefined }): Verifier {
  try {
    return createVerifier({
      ...(values.jwks !== undefined && { jwksUri: values.jwks }),
      ...(values.issuer !== undefined && { issuer: values.issuer }),
      ...(values.iss !== undefined && { issuer: values.iss }),
      ...(values.audience !== undefined && { audience: values.audience }),
    });
  } catch (error) {
    if (!(error instanceof VerifierConfigError)) throw error;
    const flag = error.option === 'issuer' && values.iss !== undefined ? '--iss' : (VERIFIER_OPTION_FLAGS[error.option] ?? error.option);
    throw new UsageError(`${flag} ${error.message.replace(/^tokenvend\/verify: "[^"]+" /, '')}`);
  }
}

/** The same checks as createVerifier, against a local key: jose verifies, the verify module names the failure. */
async function keyFileVerifier(flag: string, path: string, load: (material: string) => VerificationKey, checks: Checks): Promise<Verifier> {
  let material: string;
  try {
    material = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`${flag}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'read error'})`);
  }
  let key: VerificationKey;
  try {
    key = load(material);
  } catch (error) {
    if (error instanceof KeyMaterialError) throw new Error(`${flag}: ${error.problem}`);
    throw error;
  }
  const options: JWTVerifyOptions = {
    algorithms: [...key.algorithms],
    clockTolerance: DEFAULTS.clockToleranceSeconds,
    requiredClaims: ['exp', 'iat'],
    ...(checks.iss !== undefined && { issuer: checks.iss }),
    ...(checks.audience !== undefined && { audience: checks.audience }),
  };
  return async (token) => {
    let payload;
    try {
      // One call per key kind keeps jose's overloads apart (a key set resolves by `kid`).
      ({ payload } = typeof key.key === 'function' ? await jwtVerify(token, key.key, options) : await jwtVerify(token, key.key, options));
    } catch (error) {
      throw toVerificationError(error);
    }
    return readTokenClaims(payload);
  };
}

async function readToken(argument: string, io: CliIo): Promise<string> {
  const token = argument === '-' ? (await readStdin(io.stdin)).trim() : argument;
  if (token === '') throw new Error(argument === '-' ? 'stdin held no token' : 'the TOKEN is empty');
  return token;
}

/** `Token has expired [ERR_TOKENVEND_TOKEN_EXPIRED]`: fixed text and a stable code, never the token. */
function describeRejection(error: unknown): Error {
  const failure = error instanceof TokenVerificationError ? error : toVerificationError(error);
  const cause = failure.unavailable && failure.cause instanceof Error ? `: ${failure.cause.message}` : '';
  return new Error(`${failure.message}${cause} [${failure.code}]`);
}
