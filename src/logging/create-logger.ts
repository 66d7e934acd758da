/** The JSON-lines logger; audit lines and operational lines share it. */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/config.js';

export type { Logger };

/**
 * Creates the logger. Credentials are never passed to it; the redact list is a second line of defence.
 *
 * @example
 * const logger = createLogger('info');
 * logger.info({ event: 'started' }, 'tokenvend started');
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
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
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
