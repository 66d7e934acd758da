/** Bounds how long a promise may take: a store that stops answering must not hold a request. */

/**
 * Resolves or rejects like `work`, or rejects with a `StoreTimeoutError` after `timeoutMs`.
 *
 * @example
 * await withTimeout(client.ping(), 1000);
 */
export function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'StoreTimeoutError' })), timeoutMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
