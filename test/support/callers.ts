/** Caller keys and CALLERS documents for tests. */
import { createHash, randomBytes } from 'node:crypto';

export interface TestCaller {
  readonly key: string;
  readonly entry: Record<string, unknown>;
}

export function testCaller(id: string, fields: Record<string, unknown> = {}): TestCaller {
  const key = `tv_${randomBytes(32).toString('base64url')}`;
  return { key, entry: { id, keySha256: createHash('sha256').update(key).digest('hex'), orgs: ['*'], ...fields } };
}

export function callersJson(...callers: TestCaller[]): string {
  return JSON.stringify(callers.map((caller) => caller.entry));
}
