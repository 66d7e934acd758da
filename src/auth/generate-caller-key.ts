/** Makes a strong random caller key (256 bits), recognisable by its `tv_` prefix in secret scanners. */
import { randomBytes } from 'node:crypto';

/**
 * @example
 * const key = generateCallerKey(); // 'tv_3q2-…' (46 characters)
 */
export function generateCallerKey(): string {
  return `tv_${randomBytes(32).toString('base64url')}`;
}
