/** The audit trail: one line per issued token and per refused token request. */
import type { Logger } from 'pino';
import type { TokenTag } from '../auth/token-scope.js';
import type { IssuedToken } from '../signer/issue-token.js';

/** The bounded values of the `tag` in audit lines and metrics. */
export type TokenTagLabel = 'none' | TokenTag;
/** Which door a request came through, when not POST /tokens: the OAuth token endpoint and how the client authenticated. */
export interface Door {
  readonly door: 'oauth';
  readonly authMethod?: string | undefined;
}

export type RejectionReason = 'unauthenticated' | 'forbidden' | 'invalid_request' | 'rate_limited' | 'unavailable';

export interface AuditLog {
  /** `tag` is the token's Vapi scope tag, `none` for a token without one. `door` is set for POST /oauth/token. */
  issued(callerId: string, orgId: string, token: IssuedToken, tag: TokenTagLabel, door?: Door): void;
  /** Resolves once the lines logged so far are written: a token is sent only after its audit line. */
  written(): Promise<void>;
  rejected(reason: RejectionReason, details: { callerId?: string | undefined; orgId?: string | undefined; status: number; code: string; detail: string; ip?: string | undefined }, door?: Door): void;
}

const ALWAYS_WRITTEN = (): Promise<void> => Promise.resolve();

/**
 * The audit log records who minted what; it receives ids and claims only, never the token or a key.
 * `written` comes from the logger's destination when that holds lines back (coalesce-lines.ts);
 * a destination that writes each line as it comes needs none.
 *
 * @example
 * const audit = createAuditLog(logger, destination.written);
 * audit.issued('web-backend', 'org_a', issued, 'none');
 * await audit.written();
 */
export function createAuditLog(logger: Logger, written: () => Promise<void> = ALWAYS_WRITTEN): AuditLog {
  const log = logger.child({ audit: true });
  return {
    written,
    issued(callerId, orgId, { jti, kid, alg, exp }, tag, door) {
      log.info({ event: 'token.issued', caller: callerId, orgId, tag, jti, kid, alg, exp, ...door }, 'token issued');
    },
    rejected(reason, { callerId, orgId, status, code, detail, ip }, door) {
      log.info({ event: 'token.rejected', caller: callerId, orgId, reason, status, code, detail, ip, ...door }, 'token request rejected');
    },
  };
}
