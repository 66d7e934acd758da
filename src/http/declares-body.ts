/** Whether a request says it carries a body (RFC 9112 §6.3): a Transfer-Encoding, or a Content-Length above 0. */
import type { IncomingMessage } from 'node:http';

/**
 * @example
 * declaresBody(req); // false for a bodiless POST, which is an empty token request
 */
export function declaresBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
