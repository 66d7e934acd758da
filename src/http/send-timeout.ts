/**
 * Closes a connection on which nothing has moved for a while. Without it, a client that sends a
 * whole request and then reads none of the answer holds its connection, and a slot of the
 * connection cap (which never sheds a request being answered), for as long as it likes: the answer
 * waits in the socket's buffers, its `finish` never comes, and Node's own bound (`server.timeout`)
 * is off by default. On loopback the kernel keeps about 4 MB of an answer nobody reads, so one
 * `/docs` (2.6 MB) still fits; pipelined eight times, or /openapi.yaml 300 times, never read, it
 * held the only slot of a cap of 1 for as long as the test waited (test/http/slow-clients.test.ts).
 * Across a network the kernel keeps far less, since the client sets its own receive window.
 *
 * How Node counts progress, which makes this a bound on a stalled client and not on a slow one:
 * the timer restarts whenever bytes are read and whenever a write is handed to libuv or completes,
 * and while one large write is pending (`res.send` writes `/docs` in one) each expiry first checks
 * whether the kernel took any more of it since the last, and if so waits another period. The kernel
 * takes more each time the client has read enough to free part of the socket's send buffer (the
 * moments nginx's `send_timeout` sees too), so a client that keeps reading keeps its connection
 * (six `/docs` read at a few MB/s over 3.5 s with a 1 s timeout, in the same test file), and one that
 * reads nothing is cut between one and two periods after the kernel last took a byte of it. The
 * timer also runs while the service prepares an answer, when no bytes move, and between requests
 * Node swaps it for the keep-alive timeout, which arrives as the same `timeout` event.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { responseOn } from './response-on-socket.js';

/**
 * Sets the server's socket inactivity timeout and closes every connection it expires on: one with a
 * response due is reset and reported, an idle keep-alive one closed quietly, as Node closes it (a
 * `timeout` listener replaces Node's own closing, so it must close both).
 *
 * @example
 * closeStalledConnections(server, 60_000, () => logger.warn({ event: 'connections.send_timeout' }, '...'));
 */
export function closeStalledConnections(server: Server, timeoutMs: number, onStalled: () => void = () => undefined): void {
  // Read by Node when it accepts a connection, and again when a request follows a keep-alive pause.
  server.timeout = timeoutMs;
  server.on('timeout', function closeStalled(socket: Socket) {
    if (responseOn(socket) !== undefined) {
      onStalled();
      // A reset, not a FIN: the kernel would otherwise keep the unread answer in its buffers, and the
      // socket in FIN_WAIT1, while it probes a window the client keeps closed (what nginx's
      // `reset_timedout_connection` is for).
      socket.resetAndDestroy();
      return;
    }
    socket.destroy();
  });
}
