/** Stops a server on SIGTERM/SIGINT: refuse new connections, finish in-flight requests, then exit. */
import type { Server } from 'node:http';
import type { Logger } from '../logging/create-logger.js';

export interface ShutdownOptions {
  /** Time in-flight requests get before their connections are cut; the process must be gone within 10 s. */
  readonly graceMs?: number;
  readonly onClosed?: () => Promise<void> | void;
}

/**
 * Closes the server and resolves when every connection is gone.
 *
 * @example
 * await closeGracefully(server, logger);
 */
export function closeGracefully(server: Server, logger: Logger, { graceMs = 8000, onClosed }: ShutdownOptions = {}): Promise<void> {
  return new Promise((resolve) => {
    // Keep-alive connections that finish a response after close() would otherwise linger until their timeout.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => {
      logger.warn({ event: 'shutdown.forced', graceMs }, 'closing connections still open after the grace period');
      server.closeAllConnections();
    }, graceMs);
    sweep.unref();
    deadline.unref();
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      Promise.resolve(onClosed?.()).finally(resolve);
    });
    server.closeIdleConnections();
  });
}
