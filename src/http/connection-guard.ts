/**
 * Caps the open connections of a server below the process's file limit. At the cap, a new
 * connection costs the one, among those with no request being answered, that has shown no progress
 * for longest (no request begun on it since it opened); when every connection has a request being
 * answered, the new one is closed instead,
 * the way nginx reuses its oldest keep-alive connections when it runs out: a flood of connections
 * that send nothing, or send it slowly, cannot starve the accept queue of callers that do.
 *
 * A request is being answered once it has arrived whole, body included: until then its client holds
 * the connection, not the service. A request whose headers are in but whose body trickles (a
 * `Content-Length: 4000` sent a byte at a time, or chunks) is shed like one whose headers trickle,
 * else a few such clients could hold every slot for the whole request timeout, again and again.
 * Body bytes are not progress: a client that trickles would otherwise stay the freshest for a byte
 * a second, while one that sends its request whole is answered and never at risk.
 *
 * Nor is a connection whose answer its client does not read: a response the socket cannot hand to
 * the kernel stays unfinished for as long as the client likes (GET /docs, 2.6 MB, pipelined a few
 * times), so at the cap it is shed as one that trickles is. A token answer is a few hundred bytes
 * and leaves at once, so only a client that stops reading is ever backed up. Below the cap, the
 * send timeout (send-timeout.ts) bounds it, closing the connection once nothing has moved on it for
 * `sendTimeoutMs`.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { responseOn } from './response-on-socket.js';

/** Order of last progress: a counter, not a clock, since only the order matters. */
const lastProgress = Symbol('tokenvend.lastProgress');
type TrackedSocket = Socket & { [lastProgress]: number };

export interface ConnectionGuard {
  /** Marks a request begun on this socket: called once per request, so kept to one store. */
  touch(socket: Socket): void;
  /** Open connections right now. */
  readonly size: number;
}

/**
 * Tracks the server's connections and closes the stalest one whenever a new connection would
 * exceed `maxConnections`. Finding it scans the open connections, but only at the cap.
 *
 * @example
 * const guard = guardConnections(server, 1000, () => logger.warn('connection cap reached'));
 * // in the request handler: guard.touch(req.socket);
 */
export function guardConnections(server: Server, maxConnections: number, onShed: () => void = () => undefined): ConnectionGuard {
  const open = new Set<TrackedSocket>();
  let tick = 0;
  server.on('connection', (connection: Socket) => {
    const socket = connection as TrackedSocket;
    if (open.size >= maxConnections) {
      const stalest = findStalest(open);
      onShed();
      if (stalest === undefined) {
        // Every open connection has a request being answered: the newcomer waits for none of them.
        socket.destroy();
        return;
      }
      open.delete(stalest);
      stalest.destroy();
    }
    socket[lastProgress] = ++tick;
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  return {
    touch(socket) {
      (socket as TrackedSocket)[lastProgress] = ++tick;
    },
    get size() {
      return open.size;
    },
  };
}

/**
 * The connection with no request being answered on it (idle keep-alive, or only part of the request
 * sent yet, headers or body) that has shown no progress for longest.
 */
function findStalest(open: ReadonlySet<TrackedSocket>): TrackedSocket | undefined {
  let stalest: TrackedSocket | undefined;
  for (const socket of open) {
    if (isAnswering(socket)) continue;
    if (stalest === undefined || socket[lastProgress] < stalest[lastProgress]) stalest = socket;
  }
  return stalest;
}

/**
 * Whether the response Node is writing on this socket (responseOn) answers a request that has arrived
 * whole: `res.req` and `req.complete` (the parser has seen the end of the message; at once for a
 * request without a body) are public. Read only here, at the cap: the per-request path stays one store.
 */
function isAnswering(socket: Socket): boolean {
  // Bytes the kernel would not take: the client is not reading its answer, and holds the connection as one that trickles does.
  if (socket.writableLength > 0) return false;
  return responseOn(socket)?.req?.complete === true;
}
