/** Makes a strong random caller key in the one caller-key format (caller-key-format.ts). */
import { newCallerKey } from './caller-key-format.js';

/**
 * @example
 * const key = generateCallerKey(); // 'tv_' + 43 base62 characters + 6-character checksum (52 in all)
 */
export function generateCallerKey(): string {
  return newCallerKey();
}
