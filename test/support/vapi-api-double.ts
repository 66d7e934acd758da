/**
 * A TEST DOUBLE of Vapi's API (https://api.vapi.ai), for proving that tokenvend's tokens are the ones Vapi's own
 * clients carry and Vapi accepts. It is not Vapi and shares no code with it: it is written from Vapi's published
 * behaviour only, and implements just the two endpoints the tests drive.
 *
 * Sources, and what this double takes from each:
 * - Vapi's "JWT Authentication" page (docs.vapi.ai/customization/jwt-authentication): a backend signs
 *   `{ orgId, token: { tag, restrictions? } }` with the org's private key (HS256, jsonwebtoken's default, in every
 *   example; the key is a UUID string from the dashboard) and sends `Authorization: Bearer <jwt>`. The scope is
 *   `token.tag`: `private` or `public`, and "the only publicly scoped API endpoint is /call/web, which is used for
 *   Web Call creation. All other endpoints are privately scoped."
 * - Vapi's answer to a JWT without `token`, as users report it: 403
 *   `{ "message": "JWT doesn't permit access. Hot tip, you may be missing `token` in your JWT.", "error": "Forbidden",
 *   "statusCode": 403 }`. Every error here has that NestJS shape; messages other than this one are the double's own.
 * - The `TokenRestrictions` schema of Vapi's OpenAPI document: `enabled` (default true: the token is enabled);
 *   `allowedOrigins` ("Validates the `Origin` header", default any origin); `allowedAssistantIds` (default any);
 *   `allowTransientAssistant` (default true; "If `allowedAssistantIds` is provided, this is automatically false").
 *   All but `enabled` are "only relevant for `public` tokens", so a private token's are ignored here.
 * - `GET /assistant` answers an array of assistants, each with at least `id`, `orgId`, `createdAt`, `updatedAt`
 *   (what `@vapi-ai/server-sdk`'s `Assistant` type requires); `POST /call/web` answers 201 with a `Call` whose
 *   `webCallUrl` the web SDK hands to Daily. Here that URL points back at this double, which has no such room: the
 *   media step cannot succeed, and tests assert on the `/call/web` exchange only.
 *
 * Simplifications, each on purpose: only JWTs are accepted (Vapi also takes its raw API keys as bearer tokens); an
 * unknown orgId, a bad signature and an expired token are all 401; CORS is open to any origin, as a browser must be
 * able to read the refusal of a disallowed origin (the check is on the token's `allowedOrigins`, not on CORS).
 *
 * It listens on 127.0.0.1 port 0 and records every request it saw, preflights included, with its answer.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import jsonwebtoken from 'jsonwebtoken';

/** The message Vapi answers when a JWT carries no `token` claim. */
export const MISSING_TOKEN_MESSAGE = "JWT doesn't permit access. Hot tip, you may be missing `token` in your JWT.";

export interface VapiTokenRestrictions {
  enabled?: boolean;
  allowedOrigins?: string[];
  allowedAssistantIds?: string[];
  allowTransientAssistant?: boolean;
}

/** The claims Vapi reads from a JWT. */
export interface VapiClaims {
  orgId: string;
  token: { tag: 'private' | 'public'; restrictions?: VapiTokenRestrictions };
  [claim: string]: unknown;
}

export interface VapiAssistant {
  id: string;
  orgId: string;
  name: string;
  createdAt: string;
  updatedAt: string;
}

/** One request the double saw and how it answered. */
export interface RecordedVapiRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** The request's `Authorization` header, if any. */
  authorization: string | undefined;
  /** The request's `Origin` header, if any. */
  origin: string | undefined;
  /** The parsed JSON body (`undefined` when there was none). */
  body: unknown;
  status: number;
  /** The JSON the double answered (`undefined` for a preflight). */
  response: unknown;
  /** The verified claims, when the token verified. */
  claims: VapiClaims | undefined;
}

export interface VapiApiDoubleOptions {
  /** orgId → that org's private key (Vapi's is a UUID string), used as the HS256 secret. */
  orgKeys: Readonly<Record<string, string>>;
  /** Assistants of every org; `GET /assistant` lists those of the token's org. */
  assistants?: readonly VapiAssistant[];
}

export interface VapiApiDouble {
  /** `http://127.0.0.1:<port>`, the base URL to give Vapi's SDKs. */
  readonly baseUrl: string;
  /** Every request so far, in arrival order. */
  readonly requests: readonly RecordedVapiRequest[];
  /** Forgets the recorded requests. */
  clear(): void;
  stop(): Promise<void>;
}

/** An assistant as `GET /assistant` lists it. */
export function vapiAssistant(orgId: string, name: string, id: string = randomUUID()): VapiAssistant {
  const at = new Date().toISOString();
  return { id, orgId, name, createdAt: at, updatedAt: at };
}

/** A refusal: status and message, rendered in Vapi's (NestJS's) error shape. */
class Refusal {
  constructor(
    readonly status: number,
    readonly message: string,
  ) {}
}

const REASON: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' };

function refuse(status: number, message: string): never {
  throw new Refusal(status, message);
}

/** Verifies the bearer JWT with its org's key and returns its claims, or refuses as Vapi does. */
function verifyBearer(authorization: string | undefined, orgKeys: Readonly<Record<string, string>>): VapiClaims {
  const match = /^Bearer (\S+)$/i.exec(authorization ?? '');
  if (!match) return refuse(401, 'Unauthorized');
  const jwt = match[1] as string;
  const unverified = jsonwebtoken.decode(jwt);
  const orgId = unverified !== null && typeof unverified === 'object' ? unverified.orgId : undefined;
  const key = typeof orgId === 'string' && Object.hasOwn(orgKeys, orgId) ? orgKeys[orgId] : undefined;
  if (key === undefined) return refuse(401, 'Unauthorized');
  let claims: jsonwebtoken.JwtPayload;
  try {
    // HS256 only: the algorithm every example on Vapi's page uses (jsonwebtoken's default for a string secret).
    claims = jsonwebtoken.verify(jwt, key, { algorithms: ['HS256'] }) as jsonwebtoken.JwtPayload;
  } catch (error) {
    return refuse(401, `Unauthorized: ${(error as Error).message}`);
  }
  const token: unknown = claims.token;
  if (token === null || typeof token !== 'object' || !['private', 'public'].includes((token as { tag?: unknown }).tag as string)) {
    return refuse(403, MISSING_TOKEN_MESSAGE);
  }
  return claims as VapiClaims;
}

/** The scope rules of a verified token for one request (TokenRestrictions, and public = `POST /call/web` only). */
function authorize(claims: VapiClaims, route: string, origin: string | undefined, body: Record<string, unknown>): void {
  const restrictions = claims.token.restrictions ?? {};
  if (restrictions.enabled === false) refuse(403, 'JWT is disabled (token.restrictions.enabled is false).');
  if (claims.token.tag === 'private') return;
  if (route !== 'POST /call/web') refuse(403, `A public JWT only permits POST /call/web, not ${route}.`);
  if (restrictions.allowedOrigins !== undefined && (origin === undefined || !restrictions.allowedOrigins.includes(origin))) {
    refuse(403, `Origin ${origin ?? '(none)'} is not in the JWT's allowedOrigins.`);
  }
  const transient = body.assistant !== undefined;
  const { allowedAssistantIds } = restrictions;
  // TokenRestrictions: allowTransientAssistant defaults to true, and is automatically false when allowedAssistantIds is set.
  if (transient && (allowedAssistantIds !== undefined || restrictions.allowTransientAssistant === false)) {
    refuse(403, 'The JWT does not permit a transient assistant.');
  }
  if (allowedAssistantIds !== undefined && !allowedAssistantIds.includes(body.assistantId as string)) {
    refuse(403, `assistantId ${String(body.assistantId)} is not in the JWT's allowedAssistantIds.`);
  }
}

function createWebCall(claims: VapiClaims, body: Record<string, unknown>, baseUrl: string, assistants: readonly VapiAssistant[]) {
  const { assistantId } = body;
  if (assistantId === undefined && body.assistant === undefined && body.squadId === undefined && body.squad === undefined) {
    refuse(400, 'Need Either `assistant`, `assistantId`, `squad` or `squadId`.');
  }
  if (assistantId !== undefined && !assistants.some((a) => a.id === assistantId && a.orgId === claims.orgId)) {
    refuse(400, `Couldn't Get Assistant. \`assistantId\` ${String(assistantId)} Does Not Exist.`);
  }
  const id = randomUUID();
  const at = new Date().toISOString();
  // A room URL on this double, which has none: the web SDK's Daily step fails here, on loopback, by design.
  const webCallUrl = `${baseUrl}/no-daily-room/${id}`;
  return {
    id,
    orgId: claims.orgId,
    type: 'webCall',
    status: 'queued',
    ...(typeof assistantId === 'string' ? { assistantId } : {}),
    createdAt: at,
    updatedAt: at,
    webCallUrl,
    transport: { provider: 'daily', callUrl: webCallUrl },
  };
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return refuse(400, 'Body is not valid JSON.');
  }
}

/** CORS as a public API answers it: any origin, the headers Vapi's SDKs send. */
function corsHeaders(request: IncomingMessage): Record<string, string> {
  const origin = request.headers.origin;
  return origin === undefined ? {} : { 'access-control-allow-origin': origin, vary: 'Origin' };
}

/**
 * Starts the double on 127.0.0.1, port 0.
 *
 * @example
 * const vapi = await startVapiApiDouble({ orgKeys: { [orgId]: privateKey }, assistants: [vapiAssistant(orgId, 'Riley')] });
 * const client = new VapiClient({ baseUrl: vapi.baseUrl, token: jwt });
 * await client.assistants.list();
 * expect(vapi.requests[0]).toMatchObject({ method: 'GET', path: '/assistant', status: 200 });
 * await vapi.stop();
 */
export async function startVapiApiDouble(options: VapiApiDoubleOptions): Promise<VapiApiDouble> {
  const assistants = options.assistants ?? [];
  const requests: RecordedVapiRequest[] = [];
  let baseUrl = '';

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://double').pathname;
    const method = request.method ?? 'GET';
    const record: RecordedVapiRequest = {
      method,
      path,
      authorization: request.headers.authorization,
      origin: request.headers.origin,
      body: undefined,
      status: 0,
      response: undefined,
      claims: undefined,
    };
    requests.push(record);

    if (method === 'OPTIONS') {
      record.status = 204;
      response.writeHead(204, {
        ...corsHeaders(request),
        'access-control-allow-methods': 'GET,HEAD,PUT,PATCH,POST,DELETE',
        'access-control-allow-headers': request.headers['access-control-request-headers'] ?? 'authorization,content-type',
        'access-control-max-age': '600',
      });
      response.end();
      return;
    }

    let status: number;
    let payload: unknown;
    try {
      const body = (record.body = await readJson(request)) ?? {};
      const route = `${method} ${path}`;
      if (route !== 'GET /assistant' && route !== 'POST /call/web') refuse(404, `Cannot ${route}`);
      const claims = verifyBearer(record.authorization, options.orgKeys);
      record.claims = claims;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) refuse(400, 'Body must be a JSON object.');
      authorize(claims, route, record.origin, body as Record<string, unknown>);
      if (route === 'GET /assistant') {
        status = 200;
        payload = assistants.filter((assistant) => assistant.orgId === claims.orgId);
      } else {
        status = 201;
        payload = createWebCall(claims, body as Record<string, unknown>, baseUrl, assistants);
      }
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      status = error.status;
      payload = { message: error.message, error: REASON[error.status], statusCode: error.status };
    }
    record.status = status;
    record.response = payload;
    response.writeHead(status, { ...corsHeaders(request), 'content-type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify(payload));
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // A bug in the double, not a Vapi answer: make it loud in the test that hit it.
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`vapi-api-double failed: ${String(error)}`);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl,
    get requests() {
      return requests;
    },
    clear() {
      requests.length = 0;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
