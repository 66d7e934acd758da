/** The zero-config demo: one ephemeral caller, and a banner that shows a newcomer how to mint a token. */
import { defaultScopes, type Caller } from '../auth/caller.js';
import { sha256Hex } from '../auth/caller-registry.js';
import { generateCallerKey } from '../auth/generate-caller-key.js';

export interface DemoCaller {
  readonly caller: Caller;
  /** The caller key in clear: shown once in the banner, never logged. */
  readonly key: string;
}

export function createDemoCaller(): DemoCaller {
  const key = generateCallerKey();
  return {
    key,
    caller: Object.freeze({ id: 'demo', keySha256: sha256Hex(key), orgs: undefined, maxTtl: undefined, rateLimitPerMinute: undefined, defaultScopes: defaultScopes() }),
  };
}

/** The banner printed to stderr (not the JSON log) in demo mode. */
export function demoBanner(baseUrl: string, key: string): string {
  const rule = '='.repeat(78);
  return [
    rule,
    ' tokenvend is running in DEMO MODE: ephemeral ES256 key and one random caller key.',
    ' Nothing persists: tokens stop verifying when this process stops.',
    ' Listening on loopback only. Set PRIVATE_KEY and CALLERS (or NODE_ENV=production) to run for real.',
    '',
    ' Mint a token:',
    `   curl -s -X POST ${baseUrl}/tokens \\`,
    `     -H "Authorization: Bearer ${key}" \\`,
    `     -H "Content-Type: application/json" \\`,
    `     -d '{"orgId":"org_demo","expiresIn":"15m"}'`,
    '',
    ' Or as an OAuth 2.0 client would (client credentials; the caller id is the client_id):',
    `   curl -s -u 'demo:${key}' -d grant_type=client_credentials -d scope=org:org_demo ${baseUrl}/oauth/token`,
    '',
    ` Verify it against: ${baseUrl}/.well-known/jwks.json`,
    rule,
    '',
  ].join('\n');
}
