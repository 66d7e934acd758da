/** Which response Node's server is writing on a socket: the one fact the connection cap and the send timeout both judge by. */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * The response Node's server is writing on this socket, if any. `_httpMessage` is internal, but no
 * public API maps a socket to its response: the server sets it to the response it writes (the first
 * of several pipelined ones) and clears it once that response has finished. Keeping the response
 * ourselves would cost each request a second store, and still not tell which of several pipelined
 * responses is on the wire. Read only when a connection is judged (at the cap, at a timeout), never
 * per request; test/unit/http/connection-guard.test.ts fails if it changes meaning.
 *
 * @example
 * responseOn(socket)?.req.complete; // true once the request being answered has arrived whole
 */
export function responseOn(socket: Socket): ServerResponse | undefined {
  return (socket as { _httpMessage?: ServerResponse | null })._httpMessage ?? undefined;
}
