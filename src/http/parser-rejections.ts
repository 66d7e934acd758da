/**
 * Answers what Node's HTTP parser refuses before Express sees a request (malformed request line,
 * oversized headers, header and request timeouts), `Expect` headers and HTTP/1.1 requests without
 * `Host`, with the same problem+json
 * documents as every other error, then closes the connection: after a parse error, nothing more
 * on it can be trusted to be framed right (RFC 9112 §9.6).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  ExpectationFailedError,
  HeadersTooLargeError,
  InvalidRequestError,
  RequestTimeoutError,
  type ServiceError,
} from '../errors/service-error.js';
import { PROBLEM_CONTENT_TYPE, problemOf } from './problem.js';

/** The raw responses, built once: a parse error has no request or response object to write with. */
const rawResponse = (error: ServiceError, reason: string): Buffer => {
  const body = JSON.stringify(problemOf(error));
  return Buffer.from(
    `HTTP/1.1 ${error.status} ${reason}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    'latin1',
  );
};

const HEADERS_TOO_LARGE = rawResponse(new HeadersTooLargeError('The request line and headers exceed the server\'s limit'), 'Request Header Fields Too Large');
const TIMED_OUT = rawResponse(new RequestTimeoutError('The request did not arrive within the server\'s time limit'), 'Request Timeout');
const MALFORMED = rawResponse(new InvalidRequestError('The request is not valid HTTP/1.1'), 'Bad Request');

/** A socket already answered: the parser reports every later chunk of a broken stream again. */
const answered = new WeakSet<Duplex>();

/**
 * Installs the `clientError`, `checkExpectation` and `checkContinue` handlers. `maxBodyBytes`: a
 * request that declares a larger body gets no `100 Continue`, so its client never sends the body
 * it would only be refused for.
 *
 * @example
 * answerParserRejections(server, MAX_BODY_BYTES);
 */
export function answerParserRejections(server: Server, maxBodyBytes: number): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (answered.has(socket)) return;
    answered.add(socket);
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    // Never write into a response already under way: the client would read a corrupt stream.
    if (error.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) {
      socket.end(error.code === 'HPE_HEADER_OVERFLOW' ? HEADERS_TOO_LARGE : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? TIMED_OUT : MALFORMED);
      // end() sends the answer and a FIN; destroy() then frees the socket without reading what follows.
      socket.once('finish', () => socket.destroy());
      return;
    }
    socket.destroy();
  });

  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    const body = JSON.stringify(problemOf(new ExpectationFailedError('Only "Expect: 100-continue" is supported')));
    res.shouldKeepAlive = false;
    res.writeHead(417, { 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) }).end(body);
  });

  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    // RFC 9110 §10.1.1: a server may answer the request instead of 100; the route then refuses the declared size.
    if (!(Number(req.headers['content-length']) > maxBodyBytes)) res.writeContinue();
    server.emit('request', req, res);
  });
}

/**
 * RFC 9112 §3.2: an HTTP/1.1 request without `Host` is answered 400. Node's own check (its
 * `requireHostHeader`, turned off in create-app-server.ts) writes a bare 400; this one writes the
 * problem document and closes. True when it answered.
 *
 * @example
 * if (refusedForMissingHost(req, res)) return;
 */
export function refusedForMissingHost(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.headers.host !== undefined || req.httpVersionMajor !== 1 || req.httpVersionMinor !== 1) return false;
  const body = JSON.stringify(problemOf(new InvalidRequestError('An HTTP/1.1 request must have a Host header')));
  res.shouldKeepAlive = false;
  res.writeHead(400, { 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(body) }).end(body);
  return true;
}
