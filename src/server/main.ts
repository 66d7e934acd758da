/** The tokenvend executable: start the service, or say in one line why it cannot. */
import { ConfigError } from '../config/config-error.js';
import { startService } from './start-service.js';

startService(process.env).catch((error: unknown) => {
  // One line naming the variable; never the value, never a stack for a configuration problem.
  const line = error instanceof ConfigError ? `tokenvend: configuration error: ${error.message}` : `tokenvend: failed to start: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`${line}\n`);
  process.exit(1);
});
