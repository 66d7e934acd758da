/** Raw HTTP/1.1 over one loopback socket: many requests in ONE write, as an attacker pipelines them. */
import { connect } from 'node:net';

/** A bodiless POST /tokens (the server's ORG_ID fills the request in); `key` undefined sends no Authorization. */
export function tokenRequest(key: string | undefined, extraHeaders: Record<string, string> = {}): string {
  const headers = { Host: '127.0.0.1', ...(key !== undefined && { Authorization: `Bearer ${key}` }), 'Content-Length': '0', ...extraHeaders };
  return `POST /tokens HTTP/1.1\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;
}

/**
 * Writes every request in one `write` on one connection and resolves with the status of each answer,
 * in order: all of them, or those answered before the server closed the connection. Bounded by `timeoutMs`.
 */
export function pipeline(port: number, requests: readonly string[], timeoutMs = 20_000): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let from = 0;
    const found: number[] = [];
    // Incremental: a status line is looked for once, even when it arrives split over two chunks.
    const statuses = (): number[] => {
      for (;;) {
        const at = text.indexOf('HTTP/1.1 ', from);
        if (at < 0 || at + 12 > text.length) return found;
        // A body (problem+json or a token) never holds this text, and the next answer follows it directly.
        found.push(Number(text.slice(at + 9, at + 12)));
        from = at + 12;
      }
    };
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${statuses().length} of ${requests.length} answers within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(statuses());
    };
    socket.setEncoding('latin1');
    socket.on('connect', () => socket.write(requests.join('')));
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (statuses().length >= requests.length) finish();
    });
    socket.on('close', finish);
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** How many answers had each status. */
export function tally(statuses: readonly number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}
