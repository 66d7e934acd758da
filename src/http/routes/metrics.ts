/** GET /metrics: the Prometheus exposition of the one registry. */
import type { Request, Response } from 'express';
import type { Registry } from 'prom-client';

/**
 * @example
 * app.get('/metrics', createMetricsRoute(metrics.registry));
 */
export function createMetricsRoute(registry: Registry) {
  return async function serveMetrics(_req: Request, res: Response): Promise<void> {
    const body = await registry.metrics();
    res.setHeader('Cache-Control', 'no-store');
    res.type(registry.contentType).send(body);
  };
}
