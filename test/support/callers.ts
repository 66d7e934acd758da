/** Caller keys and CALLERS documents for tests. */
import { createHash } from 'node:crypto';
import { generateCallerKey } from '../../src/auth/generate-caller-key.js';

export interface TestCaller {
  readonly key: string;
  readonly entry: Record<string, unknown>;
}

/** A caller with a real, well-formed key (the format the service requires). */
export function testCaller(id: string, fields: Record<string, unknown> = {}): TestCaller {
  const key = generateCallerKey();
  return { key, entry: { id, keySha256: createHash('sha256').update(key).digest('hex'), orgs: ['*'], ...fields } };
}

/** A well-formed key (right format and checksum) that no caller is registered with: a guess that gets as far as the lookup. */
export function unregisteredKey(): string {
  return generateCallerKey();
}

export function callersJson(...callers: TestCaller[]): string {
  return JSON.stringify(callers.map((caller) => caller.entry));
}
