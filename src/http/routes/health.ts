/** GET /healthz (the process serves) and GET /readyz (it can issue tokens). */
import type { Request, Response } from 'express';
import type { KeyRing } from '../../keys/key-ring.js';

export type CheckState = 'ok' | 'degraded' | 'down';

/** A dependency readiness depends on; `degraded` still serves, `down` does not. */
export interface ReadinessCheck {
  readonly name: string;
  check(): CheckState | Promise<CheckState>;
}

export function serveLiveness(_req: Request, res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
  res.json({ status: 'ok' });
}

/**
 * @example
 * app.get('/readyz', createReadinessRoute(keyRing, [storeCheck]));
 */
export function createReadinessRoute(keyRing: KeyRing, checks: readonly ReadinessCheck[]) {
  const all: readonly ReadinessCheck[] = [{ name: 'signingKey', check: () => (keyRing.active || keyRing.hasOrgKeys ? 'ok' : 'down') }, ...checks];
  return async function serveReadiness(_req: Request, res: Response): Promise<void> {
    const results = await Promise.all(all.map(async ({ name, check }) => [name, await Promise.resolve().then(check).catch((): CheckState => 'down')] as const));
    const states = results.map(([, state]) => state);
    const status = states.includes('down') ? 'unavailable' : states.includes('degraded') ? 'degraded' : 'ready';
    res.setHeader('Cache-Control', 'no-store');
    res.status(status === 'unavailable' ? 503 : 200).json({ status, checks: Object.fromEntries(results) });
  };
}
