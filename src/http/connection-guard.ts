/**
 * Caps the open connections of a server below the process's file limit. At the cap, a new
 * connection costs the one, among those with no request being answered, that has shown no progress
 * for longest (no request begun on it since); when every connection has a request being answered,
 * the new one is closed instead,
 * the way nginx reuses its oldest keep-alive connections when it runs out: a flood of connections
 * that send nothing, or send it slowly, cannot starve the accept queue of callers that do.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

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
 * The connection with no request being answered on it (idle keep-alive, or nothing or only part of
 * the headers sent yet) that has shown no progress for longest. A connection whose request is being
 * answered is never shed: Node's server holds its response as `_httpMessage` until it is finished.
 */
function findStalest(open: ReadonlySet<TrackedSocket>): TrackedSocket | undefined {
  let stalest: TrackedSocket | undefined;
  for (const socket of open) {
    if ((socket as { _httpMessage?: unknown })._httpMessage) continue;
    if (stalest === undefined || socket[lastProgress] < stalest[lastProgress]) stalest = socket;
  }
  return stalest;
}
