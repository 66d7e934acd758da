/** `tokenvend mint`: signs a token locally with the service's key and settings, as POST /tokens would. */
import type { TokenTag } from '../../auth/token-scope.js';
import { ORG_ID_PATTERN } from '../../config/options.js';
import { createKeyRing } from '../../keys/key-ring.js';
import { loadSigningKeys } from '../../keys/load-signing-keys.js';
import { parseDuration } from '../../signer/duration.js';
import { createTokenIssuer } from '../../signer/issue-token.js';
import type { Command } from '../cli-io.js';
import { loadMintConfig } from '../load-mint-config.js';
import { mintRequest } from '../mint-request.js';
import { parseCommandLine } from '../parse-command-line.js';
import { runCommand, type CommandHelp } from '../run-command.js';
import { toTokenResponse } from '../../signer/token-response.js';
import { UsageError } from '../usage-error.js';

export const MINT_HELP: CommandHelp = {
  name: 'mint',
  text: `Usage: tokenvend mint --org ORG [--ttl TTL] [--audience AUD] [--tag private|public] [--json]

Signs a token locally with the service's signing key and settings, exactly as POST /tokens would,
and prints it on stdout. For operators holding the key: break-glass access, tests, debugging.

Options:
  --org ORG        The orgId claim: 1-128 characters from A-Z a-z 0-9 . _ : @ - (default: ORG_ID).
  --ttl TTL        Lifetime: whole seconds or "90s", "15m", "1h", "1d" (default: TOKEN_TTL).
                   At least 60 seconds and at most TOKEN_MAX_TTL; refused, never shortened.
  --audience AUD   The aud claim: one of the TOKEN_AUDIENCE list (default: the first of them;
                   without TOKEN_AUDIENCE, the token has no aud).
  --tag TAG        Add Vapi's scope claim token: { tag: TAG } (private or public), as POST /tokens
                   does for a caller with tags. Without it the token has no token claim.
  --json           Print the JSON document POST /tokens answers with (token, tokenType,
                   expiresIn, expiresAt, orgId) instead of the bare token.
  -h, --help       Show this help.

Environment (read as the service reads it; errors name the variable):
  PRIVATE_KEY, PRIVATE_KEY_FILE or SIGNING_KEYS_FILE (one is required; of a key set, the first key
  signs), SIGNING_ALG, KEY_ID, TOKEN_ISSUER, TOKEN_AUDIENCE, TOKEN_TTL, TOKEN_MAX_TTL, ORG_ID.
  Nothing else is read: no CALLERS, ports or Redis.

Examples:
  PRIVATE_KEY_FILE=/run/secrets/signing-key tokenvend mint --org org_a --ttl 15m
  curl -H "Authorization: Bearer $(tokenvend mint --org org_a)" https://api.example.com/reports
`,
};

const OPTIONS = {
  org: { type: 'string' },
  ttl: { type: 'string' },
  audience: { type: 'string' },
  tag: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/**
 * @example
 * await mint(['--org', 'org_a', '--ttl', '15m'], { ...io, env: { PRIVATE_KEY: pem } }); // 0, the JWT on io.stdout
 */
export const mint: Command = (argv, io) =>
  runCommand(MINT_HELP, argv, io, async () => {
    const { values, positionals } = parseCommandLine(argv, OPTIONS);
    if (positionals.length > 0) throw new UsageError('takes no arguments');
    if (values.org !== undefined && !ORG_ID_PATTERN.test(values.org)) throw new UsageError('--org must be 1-128 characters from A-Z a-z 0-9 . _ : @ -');
    if (values.ttl !== undefined && parseDuration(values.ttl) === undefined) throw new UsageError('--ttl must be whole seconds or a duration such as "90s", "15m", "1h"');
    if (values.audience === '') throw new UsageError('--audience must not be empty');
    if (values.tag !== undefined && values.tag !== 'private' && values.tag !== 'public') throw new UsageError('--tag must be private or public');

    const config = loadMintConfig(io.env);
    if (values.org === undefined && config.tokens.defaultOrgId === undefined) throw new UsageError('--org is required (ORG_ID is not set)');
    const request = mintRequest({ ...values, tag: values.tag as TokenTag | undefined }, config.tokens);
    const keyRing = createKeyRing(await loadSigningKeys(config));
    const issue = createTokenIssuer({ keyRing, clock: io.clock ?? Date.now, issuer: config.tokens.issuer });
    const issued = await issue(request);
    io.stdout.write(values.json ? `${JSON.stringify(toTokenResponse(issued, request.orgId))}\n` : `${issued.token}\n`);
    return 0;
  });
