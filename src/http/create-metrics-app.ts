/** The separate listener for /metrics when METRICS_PORT is set: nothing else is served there. */
import express, { type Express } from 'express';
import { NotFoundError } from '../errors/service-error.js';
import type { Logger } from '../logging/create-logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { createErrorRenderer } from './create-app.js';
import { createMetricsRoute } from './routes/metrics.js';
import { apiSecurityHeaders } from './security-headers.js';

/**
 * @example
 * createAppServer(createMetricsApp(metrics, logger)).listen(config.metricsPort);
 */
export function createMetricsApp(metrics: Metrics, logger: Logger): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(apiSecurityHeaders());
  app.get('/metrics', createMetricsRoute(metrics.registry));
  app.use(function notFound(): never {
    throw new NotFoundError('No such route');
  });
  app.use(createErrorRenderer(logger));
  return app;
}
