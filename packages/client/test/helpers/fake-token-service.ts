/** A node:http server on 127.0.0.1:0 that plays the token service's HTTP contract for client tests. */

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the fake service received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** Parsed JSON body, or the raw text if it was not JSON. */
  body: unknown;
}

/** What the fake service answers; `hang` never answers. */
export type FakeReply =
  | {
      status: number;
      headers?: Record<string, string>;
      body?: unknown;
      rawBody?: string;
      /** Wait before the status line. */
      delayMs?: number;
      /** Send the status line and half the body at once, the rest after this wait. */
      bodyDelayMs?: number;
    }
  | 'hang';

export type ReplyFn = (request: RecordedRequest, index: number) => FakeReply;

export interface FakeTokenService {
  baseUrl: string;
  requests: RecordedRequest[];
  /** Tokens minted by the default reply, in order. */
  issued: string[];
  /** Replies used for the next requests, in order; afterwards `fallback` answers. */
  queue: FakeReply[];
  /** Answers requests when `queue` is empty; defaults to {@link mintReply}. */
  fallback: ReplyFn;
  /** A 201 token response for `request`, lifetime `expiresIn` seconds (default 600). */
  mintReply(request: RecordedRequest, expiresIn?: number): FakeReply;
  close(): Promise<void>;
}

const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A well-formed but unsigned-looking compact JWT; the client never verifies tokens. */
export function makeJwt(claims: Record<string, unknown>): string {
  return `${base64url({ alg: 'EdDSA', typ: 'JWT', kid: 'test' })}.${base64url(claims)}.${Buffer.from('sig').toString('base64url')}`;
}

/** A problem-document reply as the real service sends it. */
export function problemReply(status: number, title: string, code: string, detail: string, headers: Record<string, string> = {}): FakeReply {
  return {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
    body: { type: `https://tokenvend.dev/problems/${code}`, title, status, detail, code },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function startFakeTokenService(): Promise<FakeTokenService> {
  const service: FakeTokenService = {
    baseUrl: '',
    requests: [],
    issued: [],
    queue: [],
    fallback: (request) => service.mintReply(request),
    mintReply(request, expiresIn = 600) {
      const body = (request.body ?? {}) as { orgId?: string; audience?: string };
      const orgId = body.orgId ?? 'org_default';
      const iat = 1_700_000_000;
      const token = makeJwt({ sub: 'caller_test', orgId, aud: body.audience, iat, exp: iat + expiresIn, jti: `t${service.issued.length + 1}` });
      service.issued.push(token);
      return {
        status: 201,
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
        body: { token, tokenType: 'Bearer', expiresIn, expiresAt: new Date((iat + expiresIn) * 1000).toISOString(), orgId },
      };
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server: Server = createServer(async (req, res) => {
    const text = await readBody(req);
    const request: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: text === '' ? undefined : parse(text),
    };
    const index = service.requests.push(request) - 1;
    const reply = service.queue.shift() ?? service.fallback(request, index);
    if (reply === 'hang') return;
    const send = (): void => {
      const payload = reply.rawBody ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
      res.writeHead(reply.status, reply.headers ?? {});
      if (!reply.bodyDelayMs) {
        res.end(payload);
        return;
      }
      const half = Math.floor(payload.length / 2);
      res.write(payload.slice(0, half));
      setTimeout(() => res.end(payload.slice(half)), reply.bodyDelayMs);
    };
    if (reply.delayMs) setTimeout(send, reply.delayMs);
    else send();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  service.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return service;
}
