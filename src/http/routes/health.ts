/** GET /healthz (the process serves) and GET /readyz (it can issue tokens). */
import type { Request, Response } from 'express';
import type { KeyRing } from '../../keys/key-ring.js';
import { probeSigningKey } from '../../keys/probe-signing-key.js';

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
  const all: readonly ReadinessCheck[] = [{ name: 'signingKey', check: createSignerCheck(keyRing) }, ...checks];
  return async function serveReadiness(_req: Request, res: Response): Promise<void> {
    const results = await Promise.all(all.map(async ({ name, check }) => [name, await Promise.resolve().then(check).catch((): CheckState => 'down')] as const));
    const states = results.map(([, state]) => state);
    const status = states.includes('down') ? 'unavailable' : states.includes('degraded') ? 'degraded' : 'ready';
    res.setHeader('Cache-Control', 'no-store');
    res.status(status === 'unavailable' ? 503 : 200).json({ status, checks: Object.fromEntries(results) });
  };
}

/** Re-probes a failing key at most this often: /readyz is public, and each probe is a signature. */
const PROBE_INTERVAL_MS = 1000;

/**
 * `ok` while the active key's last signature succeeded; after a failure, `ok` only once a probe
 * signs and verifies again, so a signer that keeps failing (a key OpenSSL refuses, a broken
 * signing thread) takes the replica out of rotation, and one that recovers puts it back without
 * waiting for traffic it would not get.
 */
function createSignerCheck(keyRing: KeyRing): () => CheckState | Promise<CheckState> {
  let last: { readonly at: number; readonly state: Promise<CheckState> } | undefined;
  return () => {
    const key = keyRing.active;
    // Without a service key, per-org keys alone may sign (ORG_KEYS_FILE).
    if (!key) return keyRing.hasOrgKeys ? 'ok' : 'down';
    if (!key.failing) return 'ok';
    const now = Date.now();
    if (last === undefined || now - last.at >= PROBE_INTERVAL_MS) {
      last = { at: now, state: probeSigningKey(key).then((signs): CheckState => (signs ? 'ok' : 'down')) };
    }
    return last.state;
  };
}
