/** The JSON-lines logger; audit lines and operational lines share it. */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/config.js';
import { coalesceLines, type CoalescedDestination } from './coalesce-lines.js';

export type { Logger };

/**
 * Creates the logger, writing to `destination` (stdout, synchronously, when absent). Credentials
 * are never passed to it; the redact list is a second line of defence.
 *
 * @example
 * const logger = createLogger('info');
 * logger.info({ event: 'started' }, 'tokenvend started');
 */
export function createLogger(level: LogLevel, destination: DestinationStream = pino.destination({ dest: 1, sync: true })): Logger {
  return pino(
    {
      level,
      base: { service: 'tokenvend' },
      // pino's default epoch-milliseconds time: formatting an ISO date per audit line costs more than the rest of the line.
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['authorization', 'headers.authorization', 'req.headers.authorization', 'token', 'apiKey', 'secret', 'privateKey'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/**
 * stdout, written synchronously (pino's own default), as an audit trail must be: a token's audit
 * line is with the kernel before the token is sent, a crash cannot lose the lines of tokens already
 * handed out, and lines keep their order at exit. A reader that stops reading stalls the process
 * (Vault, for one, refuses requests it cannot audit) instead of growing a buffer without bound.
 * The lines of one microtask round go in one write (coalesce-lines.ts); whatever is pending when
 * the process exits, on a crash too, is written in its 'exit' event.
 *
 * A write that fails is passed to `onWriteError`, synchronously, inside the write that met it.
 * Without it pino would, on EPIPE (the reader has gone), stop writing without a word.
 *
 * @example
 * const destination = stdoutDestination((error) => process.exit(1));
 * const logger = createLogger('info', destination);
 */
export function stdoutDestination(onWriteError?: (error: NodeJS.ErrnoException) => void): CoalescedDestination {
  const stdout = pino.destination({ dest: 1, sync: true });
  if (onWriteError) stdout.on('error', onWriteError);
  const destination = coalesceLines(stdout);
  process.on('exit', () => destination.flushSync());
  return destination;
}
