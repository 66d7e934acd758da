/** HTTP/1.1 over a raw socket, for what a well-behaved client cannot send: slow, malformed, pipelined. */
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { sleep } from './wait.js';

export interface RawResponse {
  readonly status: number;
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface RawConnection {
  readonly socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves once the server has closed the connection (end or reset), with what it sent. */
  readonly closed: Promise<string>;
  /** Whether the server has closed the connection yet. */
  isClosed(): boolean;
}

export async function openRaw(port: number): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let data = '';
  let closed = false;
  socket.setEncoding('latin1').on('data', (chunk: string) => (data += chunk));
  // A reset after the answer is how a server may drop a connection whose body it will not read.
  socket.on('error', () => undefined);
  const closedPromise = new Promise<string>((resolve) => {
    socket.once('close', () => {
      closed = true;
      resolve(data);
    });
  });
  return { socket, received: () => data, closed: closedPromise, isClosed: () => closed };
}

/** Writes `text` one byte every `everyMs` until the connection closes (or `text` runs out); a slow client, never awaited by its tests. */
export async function trickle(connection: RawConnection, text: string, everyMs: number): Promise<void> {
  for (const byte of text) {
    if (connection.isClosed() || connection.socket.destroyed) return;
    connection.socket.write(byte);
    await sleep(everyMs);
  }
}

/** Fails after `ms` unless `promise` settles first. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Parses the first response in `raw` (Content-Length framing only, as every tokenvend answer is). */
export function parseResponse(raw: string): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no complete response head in ${JSON.stringify(raw.slice(0, 200))}`);
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  return { status: Number(statusLine?.split(' ')[1]), headers, body: raw.slice(end + 4, end + 4 + length) };
}

/** Every response in `raw`, in order (for pipelined requests). */
export function parseResponses(raw: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = raw;
  while (rest.includes('\r\n\r\n')) {
    const response = parseResponse(rest);
    responses.push(response);
    const headEnd = rest.indexOf('\r\n\r\n') + 4;
    rest = rest.slice(headEnd + Number(response.headers['content-length'] ?? 0));
  }
  return responses;
}
