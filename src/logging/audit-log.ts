/** The audit trail: one line per issued token and per refused token request. */
import type { Logger } from 'pino';
import type { IssuedToken } from '../signer/issue-token.js';

export type RejectionReason = 'unauthenticated' | 'forbidden' | 'invalid_request' | 'rate_limited' | 'unavailable';

export interface AuditLog {
  issued(callerId: string, orgId: string, token: IssuedToken): void;
  rejected(reason: RejectionReason, details: { callerId?: string | undefined; status: number; code: string; detail: string; ip?: string | undefined }): void;
}

/**
 * The audit log records who minted what; it receives ids and claims only, never the token or a key.
 *
 * @example
 * const audit = createAuditLog(logger);
 * audit.issued('web-backend', 'org_a', issued);
 */
export function createAuditLog(logger: Logger): AuditLog {
  const log = logger.child({ audit: true });
  return {
    issued(callerId, orgId, { jti, kid, alg, exp }) {
      log.info({ event: 'token.issued', caller: callerId, orgId, jti, kid, alg, exp }, 'token issued');
    },
    rejected(reason, { callerId, status, code, detail, ip }) {
      log.info({ event: 'token.rejected', caller: callerId, reason, status, code, detail, ip }, 'token request rejected');
    },
  };
}
