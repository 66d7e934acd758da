/** Parses token lifetimes: whole seconds, or a duration string such as "90s", "15m", "1h", "1d". */

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };
const DURATION = /^(\d{1,9})(s|m|h|d)$/;
const WHOLE = /^\d{1,9}$/;

/**
 * Returns the duration in whole seconds, or `undefined` when the input is not a duration.
 *
 * @example
 * parseDuration('15m'); // 900
 * parseDuration(90);    // 90
 * parseDuration('1.5h'); // undefined
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  }
  if (typeof value !== 'string') return undefined;
  if (WHOLE.test(value)) return Number(value);
  const match = DURATION.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number);
}
