/** Decides whether the service signs EC and EdDSA on a thread of its own, and logs that thread's failures. */
import { availableParallelism } from 'node:os';
import { createSigningThread, type SigningThread, type SigningThreadOptions } from '../keys/signing-thread.js';
import type { Logger } from '../logging/create-logger.js';

/**
 * A signing thread where there is a core to spare for it; none on one core, where it could only
 * take turns with the event loop (signatures are then made on the event loop, in batches).
 *
 * @example
 * const signingThread = createServiceSigningThread(logger);
 * const keyRing = createKeyRing(await loadSigningKeys(config, { signingThread }));
 */
export function createServiceSigningThread(
  logger: Logger,
  { cores = availableParallelism(), ...options }: Omit<SigningThreadOptions, 'onFailure'> & { cores?: number } = {},
): SigningThread | undefined {
  if (cores < 2) return undefined;
  return createSigningThread({
    ...options,
    onFailure: (error, signingHereForMs) =>
      logger.error(
        { err: error, event: 'signing_thread.failed', signingHereForMs },
        'signing thread stopped with signatures in flight (refused with 503); signing on the event loop for a while, then starting a new thread',
      ),
  });
}
