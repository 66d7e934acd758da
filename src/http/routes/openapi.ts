/** GET /openapi.yaml: the HTTP contract this instance ships with, read once when the app is built. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Request, Response } from 'express';
import { UnavailableError } from '../../errors/service-error.js';
import type { Logger } from '../../logging/create-logger.js';
import { matchesEtag } from '../etag.js';

/** At the package root, beside package.json (`files` ships it): three levels above both src/http/routes and dist/http/routes. */
export const OPENAPI_FILE = new URL('../../../openapi.yaml', import.meta.url);

/** The spec changes only with a deployment; five minutes of caching costs nothing. */
const CACHE_CONTROL = 'public, max-age=300';

/** A file served as it was read at start-up, with the strong validator of its text. */
export interface ShippedDocument {
  readonly text: string;
  readonly etag: string;
}

/**
 * Reads a file the package or the build ships. A missing file is logged once and gives
 * `undefined`, so that the app still starts and the route answers 503 instead.
 *
 * @example
 * const spec = readShippedDocument(OPENAPI_FILE, logger, 'openapi.missing');
 */
export function readShippedDocument(file: URL, logger: Logger, event: string, finish: (text: string) => string = (text) => text): ShippedDocument | undefined {
  let text: string;
  try {
    text = finish(readFileSync(file, 'utf8'));
  } catch (error) {
    logger.warn({ event, file: fileURLToPath(file), code: (error as NodeJS.ErrnoException).code }, 'a shipped document is missing; its route answers 503');
    return undefined;
  }
  // RFC 9110 §8.8.3: a strong validator, since the bytes are the same for as long as the process runs.
  return { text, etag: `"${createHash('sha256').update(text).digest('base64url').slice(0, 32)}"` };
}

/**
 * Sends a shipped document with its Cache-Control and ETag, or 304 when the request's
 * `If-None-Match` names the ETag.
 *
 * @example
 * sendShippedDocument(req, res, spec, 'application/yaml', 'public, max-age=300');
 */
export function sendShippedDocument(req: Request, res: Response, document: ShippedDocument, type: string, cacheControl: string): void {
  res.setHeader('Cache-Control', cacheControl);
  res.setHeader('ETag', document.etag);
  if (matchesEtag(req.headers['if-none-match'], document.etag)) {
    res.status(304).end();
    return;
  }
  res.type(type).send(document.text);
}

export interface OpenApiRouteOptions {
  readonly logger: Logger;
  /** Where the spec is; the package's own unless given. */
  readonly file?: URL;
}

/**
 * @example
 * app.get('/openapi.yaml', createOpenApiRoute({ logger }));
 */
export function createOpenApiRoute({ logger, file = OPENAPI_FILE }: OpenApiRouteOptions) {
  const spec = readShippedDocument(file, logger, 'openapi.missing');

  return function serveOpenApi(req: Request, res: Response): void {
    if (spec === undefined) throw new UnavailableError('The OpenAPI document is not installed with this instance');
    // RFC 9512: the media type of YAML.
    sendShippedDocument(req, res, spec, 'application/yaml', CACHE_CONTROL);
  };
}
