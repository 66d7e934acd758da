/**
 * Vapi's own published SDKs, unmodified, carry tokens from a real tokenvend process to a double of Vapi's API
 * (test/support/vapi-api-double.ts), which accepts or refuses them by Vapi's published rules:
 * - a backend (tags ["private"]) gets a private token through tokenvend/client; `@vapi-ai/server-sdk` lists assistants;
 * - a frontend backend (tags ["public"], restricted to one origin and one assistant) hands a public token to its page,
 *   where `@vapi-ai/web` in a real headless Chromium creates a web call; the same page on another origin is refused.
 * The setup is the shortest one: `PRIVATE_KEY=<the Vapi private key> ORG_ID=<the Vapi org id>` and CALLERS with tags.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VapiClient, VapiError } from '@vapi-ai/server-sdk';
import type { Page } from 'puppeteer-core';
import { generateCallerKey } from '../../src/auth/generate-caller-key.js';
import { sha256Hex } from '../../src/auth/caller-registry.js';
import { createTokenClient, TokenClientError, type GetTokenRequest, type TokenClient } from '../../packages/client/src/index.js';
import { launchChromium, type HeadlessChromium } from '../support/headless-chromium.js';
import { describeWithPrograms } from '../support/outside-programs.js';
import { startService, type RunningService } from '../support/spawn-service.js';
import { startVapiApiDouble, vapiAssistant, type RecordedVapiRequest, type VapiApiDouble } from '../support/vapi-api-double.js';
import { bundleVapiWeb, type VapiWebBundle } from '../support/vapi-web-bundle.js';

// Vapi's org id and private key are UUIDs (the dashboard's "Org ID" and "Private API Key").
const ORG_ID = randomUUID();
const PRIVATE_KEY = randomUUID();
const riley = vapiAssistant(ORG_ID, 'Riley');
const sam = vapiAssistant(ORG_ID, 'Sam');
const backendKey = generateCallerKey();
const frontendBackendKey = generateCallerKey();

/**
 * A frontend backend's site: serves the page, Vapi's web SDK and, at /vapi-session, a public token it gets from
 * tokenvend with its own caller key: the hand-off Vapi's page describes for public tokens.
 */
interface Site {
  readonly origin: string;
  close(): Promise<void>;
}

/** What the page does: a session from its own backend, then Vapi's web SDK as its README shows it. Plain browser JS. */
const PAGE_SCRIPT = `
globalThis.vapiTest = { progress: [], errors: [], token: undefined, result: undefined };
(async () => {
  const session = await (await fetch('/vapi-session')).json();
  vapiTest.token = session.token;
  const vapi = new Vapi(session.token, session.apiBaseUrl);
  vapi.on('call-start-progress', (event) => vapiTest.progress.push(event.stage + ':' + event.status));
  vapi.on('error', (event) => vapiTest.errors.push(event.type));
  const call = await vapi.start(session.assistantId);
  vapiTest.result = call === null ? 'null' : 'call';
})().catch((error) => { vapiTest.result = 'threw: ' + String(error); });
`;

const PAGE = '<!doctype html><meta charset="utf-8"><title>tokenvend + Vapi</title><script src="/vapi-web.js"></script><script src="/app.js"></script>';

async function startSite(vapiWebScript: () => string, session: () => Promise<unknown>): Promise<Site> {
  const server: Server = createServer((request, response) => {
    const send = (type: string, body: string) => {
      response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(body);
    };
    if (request.url === '/') send('text/html; charset=utf-8', PAGE);
    else if (request.url === '/vapi-web.js') send('text/javascript', vapiWebScript());
    else if (request.url === '/app.js') send('text/javascript', PAGE_SCRIPT);
    else if (request.url === '/vapi-session') {
      session().then(
        (body) => send('application/json', JSON.stringify(body)),
        (error: unknown) => {
          response.writeHead(502, { 'content-type': 'text/plain' });
          response.end(String(error));
        },
      );
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

let vapi: VapiApiDouble;
let tokenvend: RunningService;
let allowedSite: Site;
let otherSite: Site;
let backendTokens: TokenClient;
let frontendBackendTokens: TokenClient;
let vapiWeb: VapiWebBundle | undefined;

beforeAll(async () => {
  vapi = await startVapiApiDouble({ orgKeys: { [ORG_ID]: PRIVATE_KEY }, assistants: [riley, sam] });
  // The sites listen first: the frontend backend's allowed origin (with its port) goes into CALLERS.
  const session = async () => ({ token: await frontendBackendTokens.getToken({ tag: 'public' }), apiBaseUrl: vapi.baseUrl, assistantId: riley.id });
  const script = () => vapiWeb?.code ?? '';
  allowedSite = await startSite(script, session);
  otherSite = await startSite(script, session);
  tokenvend = await startService({
    PRIVATE_KEY,
    ORG_ID,
    CALLERS: JSON.stringify([
      { id: 'assistants-backend', keySha256: sha256Hex(backendKey), orgs: [ORG_ID], tags: ['private'] },
      {
        id: 'web-frontend-backend',
        keySha256: sha256Hex(frontendBackendKey),
        orgs: [ORG_ID],
        tags: ['public'],
        restrictions: { allowedOrigins: [allowedSite.origin], allowedAssistantIds: [riley.id] },
      },
    ]),
  });
  backendTokens = createTokenClient({ baseUrl: tokenvend.baseUrl, apiKey: backendKey });
  frontendBackendTokens = createTokenClient({ baseUrl: tokenvend.baseUrl, apiKey: frontendBackendKey });
}, 30_000);

afterAll(async () => {
  backendTokens?.close();
  frontendBackendTokens?.close();
  await Promise.all([tokenvend?.stop(), vapi?.stop(), allowedSite?.close(), otherSite?.close()]);
});

beforeEach(() => vapi.clear());

const requestsTo = (method: string, path: string): RecordedVapiRequest[] => vapi.requests.filter((r) => r.method === method && r.path === path);

describe('@vapi-ai/server-sdk with a private token from tokenvend/client', () => {
  it('lists the org\'s assistants (VapiClient pointed at the double, token supplied by the token client)', async () => {
    const client = new VapiClient({ baseUrl: vapi.baseUrl, token: () => backendTokens.getToken({ tag: 'private' }), maxRetries: 0 });

    const assistants = await client.assistants.list();

    expect(assistants).toEqual([riley, sam]);
    const token = await backendTokens.getToken({ tag: 'private' });
    expect(requestsTo('GET', '/assistant')).toEqual([
      expect.objectContaining({ status: 200, authorization: `Bearer ${token}`, claims: expect.objectContaining({ orgId: ORG_ID, token: { tag: 'private' } }) }),
    ]);
  });

  it('is refused the same listing with the frontend backend\'s public token (403)', async () => {
    const client = new VapiClient({ baseUrl: vapi.baseUrl, token: () => frontendBackendTokens.getToken({ tag: 'public' }), maxRetries: 0 });

    const failure = await client.assistants.list().catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(VapiError);
    expect(failure).toMatchObject({ statusCode: 403, body: { message: 'A public JWT only permits POST /call/web, not GET /assistant.' } });
    expect(requestsTo('GET', '/assistant')).toEqual([expect.objectContaining({ status: 403, claims: expect.objectContaining({ token: expect.objectContaining({ tag: 'public' }) }) })]);
  });
});

describe("the frontend backend's public token, on Vapi's HTTP rules", () => {
  const createWebCall = async (body: unknown, origin?: string) => {
    const headers: Record<string, string> = { authorization: `Bearer ${await frontendBackendTokens.getToken({ tag: 'public' })}`, 'content-type': 'application/json' };
    if (origin !== undefined) headers.origin = origin;
    const response = await fetch(`${vapi.baseUrl}/call/web`, { method: 'POST', headers, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('carries the caller\'s restrictions, exactly as Vapi spells them', async () => {
    expect((await createWebCall({ assistantId: riley.id }, allowedSite.origin)).status).toBe(201);
    expect(requestsTo('POST', '/call/web')[0]?.claims).toMatchObject({
      orgId: ORG_ID,
      token: { tag: 'public', restrictions: { enabled: true, allowedOrigins: [allowedSite.origin], allowedAssistantIds: [riley.id] } },
    });
  });

  it.each<[string, () => Promise<{ status: number; body: Record<string, unknown> }>, string]>([
    ['from another origin', () => createWebCall({ assistantId: riley.id }, otherSite.origin), 'is not in the JWT\'s allowedOrigins'],
    ['from a server (no Origin)', () => createWebCall({ assistantId: riley.id }), 'is not in the JWT\'s allowedOrigins'],
    ['for another assistant', () => createWebCall({ assistantId: sam.id }, allowedSite.origin), 'is not in the JWT\'s allowedAssistantIds'],
    ['for a transient assistant', () => createWebCall({ assistant: { firstMessage: 'Hi' } }, allowedSite.origin), 'does not permit a transient assistant'],
  ])('is refused %s', async (_name, send, reason) => {
    const { status, body } = await send();
    expect(status).toBe(403);
    expect(body.message).toContain(reason);
  });

  it('is all the frontend backend can get: tokenvend refuses it a private token and wider restrictions (403)', async () => {
    const statusOf = (request: GetTokenRequest) =>
      frontendBackendTokens.getToken(request).then(
        () => 'issued',
        (error: unknown) => (error instanceof TokenClientError ? error.status : error),
      );
    expect(await statusOf({ tag: 'private' })).toBe(403);
    expect(await statusOf({ tag: 'public', restrictions: { allowedOrigins: [otherSite.origin] } })).toBe(403);
    expect(await statusOf({ tag: 'public', restrictions: { allowedAssistantIds: [sam.id] } })).toBe(403);
    expect(await statusOf({ tag: 'public', restrictions: { allowTransientAssistant: true } })).toBe(403);
  });
});

describe("tokenvend's own record of it", () => {
  it('audits each token with its tag, and never logs the Vapi private key, a caller key or a token', async () => {
    const tokens = [await backendTokens.getToken({ tag: 'private' }), await frontendBackendTokens.getToken({ tag: 'public' })];
    await tokenvend.waitForLog((line) => line.event === 'token.issued' && line.tag === 'public');
    const issued = tokenvend.logs().filter((line) => line.event === 'token.issued');
    expect(issued).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ caller: 'assistants-backend', orgId: ORG_ID, tag: 'private' }),
        expect.objectContaining({ caller: 'web-frontend-backend', orgId: ORG_ID, tag: 'public' }),
      ]),
    );
    const output = tokenvend.stdout() + tokenvend.stderr();
    for (const secret of [PRIVATE_KEY, backendKey, frontendBackendKey, ...tokens]) expect(output).not.toContain(secret);
  });
});

describe('several Vapi orgs, each with its own private key (ORG_KEYS_FILE, no service key)', () => {
  // An agency running two client orgs; a third org it may ask for has no key in the file.
  const orgs = [randomUUID(), randomUUID()] as const;
  const orgKeys = { [orgs[0]]: randomUUID(), [orgs[1]]: randomUUID() };
  const keyless = randomUUID();
  const assistantOf = { [orgs[0]]: vapiAssistant(orgs[0], 'First client'), [orgs[1]]: vapiAssistant(orgs[1], 'Second client') };
  const agencyKey = generateCallerKey();
  let dir: string;
  let agencyVapi: VapiApiDouble;
  let agency: RunningService;
  let agencyTokens: TokenClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tokenvend-vapi-orgs-'));
    const file = join(dir, 'org-keys.json');
    writeFileSync(file, JSON.stringify(orgKeys), { mode: 0o600 });
    agencyVapi = await startVapiApiDouble({ orgKeys, assistants: Object.values(assistantOf) });
    agency = await startService({
      ORG_KEYS_FILE: file,
      CALLERS: JSON.stringify([{ id: 'agency-backend', keySha256: sha256Hex(agencyKey), orgs: [...orgs, keyless], tags: ['private'] }]),
    });
    agencyTokens = createTokenClient({ baseUrl: agency.baseUrl, apiKey: agencyKey });
  }, 30_000);
  afterAll(async () => {
    agencyTokens?.close();
    await Promise.all([agency?.stop(), agencyVapi?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([0, 1])("lists org %i's assistants with a token signed by that org's own key", async (index) => {
    const orgId = orgs[index] as string;
    const client = new VapiClient({ baseUrl: agencyVapi.baseUrl, token: () => agencyTokens.getToken({ orgId, tag: 'private' }), maxRetries: 0 });
    expect(await client.assistants.list()).toEqual([assistantOf[orgId]]);
    expect(agencyVapi.requests.at(-1)).toMatchObject({ status: 200, claims: { orgId, token: { tag: 'private' } } });
  });

  it('refuses (403) an org that has no key in the file, and signs nothing for it', async () => {
    const failure = await agencyTokens.getToken({ orgId: keyless, tag: 'private' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TokenClientError);
    expect(failure).toMatchObject({ status: 403 });
    expect(agency.logs().some((line) => line.event === 'token.issued' && line.orgId === keyless)).toBe(false);
  });
});

describeWithPrograms(
  ['chromium'],
  "@vapi-ai/web in headless Chromium with the frontend backend's public token",
  () => {
    let chromium: HeadlessChromium;
    beforeAll(async () => {
      vapiWeb = await bundleVapiWeb();
      chromium = await launchChromium();
    }, 60_000);
    afterAll(async () => {
      await chromium?.close();
      vapiWeb?.remove();
    });

    /** Opens the page on `origin` and waits until the SDK's `start()` has settled its web call creation. */
    async function startCallFrom(origin: string): Promise<{ page: Page; progress: string[]; errors: string[]; token: string; result: string | undefined }> {
      const page = await chromium.browser.newPage();
      await page.goto(`${origin}/`);
      await page.waitForFunction(
        "globalThis.vapiTest?.progress.some((p) => p === 'web-call-creation:completed') || globalThis.vapiTest?.result !== undefined",
        { timeout: 30_000 },
      );
      const state = (await page.evaluate('globalThis.vapiTest')) as { progress: string[]; errors: string[]; token: string; result: string | undefined };
      return { page, ...state };
    }

    it('creates a web call from the allowed origin: POST /call/web with the public token answered 201', async () => {
      const { page, progress, token } = await startCallFrom(allowedSite.origin);
      try {
        const [exchange, ...more] = requestsTo('POST', '/call/web');
        expect(more).toEqual([]);
        expect(exchange).toMatchObject({
          authorization: `Bearer ${token}`,
          origin: allowedSite.origin,
          body: { assistantId: riley.id },
          status: 201,
          claims: { orgId: ORG_ID, token: { tag: 'public', restrictions: { allowedOrigins: [allowedSite.origin], allowedAssistantIds: [riley.id] } } },
        });
        // The browser asked first (the SDK sends Authorization and a JSON body) and was let through.
        expect(requestsTo('OPTIONS', '/call/web')).toEqual([expect.objectContaining({ origin: allowedSite.origin, status: 204 })]);
        expect(progress).toContain('web-call-creation:completed');
        // The SDK's next step joins the call's Daily room, which cannot connect here (no Daily, and the browser
        // resolves nothing beyond 127.0.0.1), so this test asserts on the /call/web exchange only.
      } finally {
        await page.close();
      }
    }, 60_000);

    it('is refused from a disallowed origin (another loopback port): 403 from the double, start() gives up', async () => {
      const { page, progress, errors, result } = await startCallFrom(otherSite.origin);
      try {
        expect(requestsTo('POST', '/call/web')).toEqual([
          expect.objectContaining({
            origin: otherSite.origin,
            status: 403,
            response: { message: `Origin ${otherSite.origin} is not in the JWT's allowedOrigins.`, error: 'Forbidden', statusCode: 403 },
          }),
        ]);
        expect(progress).not.toContain('web-call-creation:completed');
        expect(errors).toContain('start-method-error');
        expect(result).toBe('null');
      } finally {
        await page.close();
      }
    }, 60_000);
  },
);
