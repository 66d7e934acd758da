/** Whether a request can be sent a second time with the same body. */

/**
 * True for bodies fetch can send again unchanged: none, strings, `URLSearchParams`, `ArrayBuffer`
 * and its views, `Blob` and `FormData`. False for streams and async iterables, which are consumed
 * by the first send, and for a `Request` input carrying its own body (unless `body` overrides it).
 *
 * @example
 * ```ts
 * isReplayable('https://api.internal/x', JSON.stringify({ a: 1 })); // true
 * isReplayable('https://api.internal/x', someReadableStream);       // false
 * ```
 */
export function isReplayable(input: string | URL | Request, body: unknown): boolean {
  if (body === undefined || body === null) {
    return !(typeof Request !== 'undefined' && input instanceof Request && input.body !== null);
  }
  return (
    typeof body === 'string' ||
    body instanceof URLSearchParams ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    (typeof Blob !== 'undefined' && body instanceof Blob) ||
    (typeof FormData !== 'undefined' && body instanceof FormData)
  );
}
