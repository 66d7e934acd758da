/** Reads the `Retry-After` header (RFC 9110 §10.2.3) as a wait in milliseconds. */

const DELAY_SECONDS = /^\d+$/;
// RFC 9110 §5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms recipients must accept.
// Checked before Date.parse, which would otherwise take almost anything ("1.5", "-1") for a date.
const IMF_FIXDATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC850_DATE = /^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME_DATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/** Epoch ms of an HTTP-date, or NaN. asctime carries no zone but means GMT. */
function parseHttpDate(value: string): number {
  if (IMF_FIXDATE.test(value) || RFC850_DATE.test(value)) return Date.parse(value);
  if (ASCTIME_DATE.test(value)) return Date.parse(`${value} GMT`);
  return Number.NaN;
}

/**
 * Parses `Retry-After` as either delay-seconds or an HTTP-date.
 *
 * An HTTP-date is measured against the response's own `Date` header when it has one, so that a
 * skewed local clock does not stretch or shrink the wait; otherwise against `nowMs`.
 * Returns `undefined` when the header is absent or malformed, and never a negative number.
 *
 * @example
 * ```ts
 * parseRetryAfter('2', Date.now());                               // 2000
 * parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', 0, 'Wed, 21 Oct 2015 07:28:00 GMT'); // 5000
 * ```
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number,
  dateHeader?: string | null,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (DELAY_SECONDS.test(trimmed)) return Number(trimmed) * 1000;
  const retryAt = parseHttpDate(trimmed);
  if (Number.isNaN(retryAt)) return undefined;
  const serverNow = dateHeader ? parseHttpDate(dateHeader.trim()) : Number.NaN;
  const reference = Number.isNaN(serverNow) ? nowMs : serverNow;
  return Math.max(0, retryAt - reference);
}
