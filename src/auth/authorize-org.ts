/** The org policy: may this caller mint tokens for this org? */
import type { Caller } from './caller.js';

/**
 * @example
 * mayIssueFor({ orgs: new Set(['org_a']) } as Caller, 'org_b'); // false
 */
export function mayIssueFor(caller: Caller, orgId: string): boolean {
  return caller.orgs === undefined || caller.orgs.has(orgId);
}
