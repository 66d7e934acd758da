/** Decides whether the service verifies client assertions on a thread of its own, and logs that thread's failures. */
import { availableParallelism } from 'node:os';
import type { Logger } from '../logging/create-logger.js';
import { createAssertionThread, type AssertionThread, type AssertionThreadOptions } from '../oauth/assertion-thread.js';
import { ASSERTION_RULES } from '../oauth/client-assertion.js';

/**
 * An assertion thread where there is a core to spare for it, as for the signing thread; none on one
 * core (assertions are then verified on the event loop).
 *
 * @example
 * const assertionThread = createServiceAssertionThread(logger);
 * const app = createApp({ ..., assertionThread });
 */
export function createServiceAssertionThread(
  logger: Logger,
  { cores = availableParallelism(), ...options }: Omit<AssertionThreadOptions, 'onFailure'> & { cores?: number } = {},
): AssertionThread | undefined {
  if (cores < 2) return undefined;
  return createAssertionThread(ASSERTION_RULES, {
    ...options,
    onFailure: (error, verifyingHereForMs) =>
      logger.error(
        { err: error, event: 'assertion_thread.failed', verifyingHereForMs },
        'assertion thread stopped; verifying client assertions on the event loop for a while (none refused), then starting a new thread',
      ),
  });
}
