/**
 * A client's jwksUri key set: when its host fails, the assertions that need a fetch are refused at
 * once for a cooldown instead of each waiting on a new fetch, keys jose holds keep verifying, and
 * one request at a time waits on a fetch. Real jose, real signed assertions, a real JWKS host on
 * loopback whose answers each test chooses.
 */
import { jest } from '@jest/globals';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseCallers, type Caller } from '../../../src/auth/caller.js';
import { createMemoryReplayStore } from '../../../src/oauth/assertion-replay-store.js';
import { createClientAssertionVerifier } from '../../../src/oauth/client-assertion.js';
import { OAuthError } from '../../../src/oauth/oauth-error.js';
import { FAILED_FETCH_COOLDOWN_MS, MAX_WAITING_IN_ALL, MAX_WAITING_PER_URI, type JwksFetchFailure } from '../../../src/oauth/remote-key-set.js';
import { oauthCaller, signAssertion } from '../../support/client-assertions.js';
import { until } from '../../support/wait.js';

const NOW = 1_800_000_000_000;
const ENDPOINT = 'https://tokens.example/oauth/token';
const AUDIENCES = [ENDPOINT, 'https://tokens.example'];
const TIMEOUT_MS = 300;
const FETCH_FAILED = "invalid_client: The keys registered at this client's jwksUri could not be fetched";
const IN_FLIGHT = "temporarily_unavailable: The keys registered at this client's jwksUri are being fetched; retry in a second";
const clientKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const newKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwkOf = (key: typeof clientKey, kid: string) => ({ ...createPublicKey(key.privateKey).export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' });

/** How the JWKS host answers its next fetches. */
type Mode = 'ok' | 'error' | 'hang' | 'one bad key' | 'a private key' | 'not a set';
let mode: Mode;
let fetches: number;
let host: Server;
let jwksUri: string;
const waiting: ServerResponse[] = [];

beforeAll(async () => {
  host = createServer((_req, res) => {
    fetches += 1;
    if (mode === 'hang') return void waiting.push(res);
    if (mode === 'error') return void res.writeHead(503).end('down for maintenance');
    if (mode === 'not a set') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: 'none today' }));
    // A set whose second key is well-formed JSON that no crypto library imports (its point is not on the curve).
    if (mode === 'one bad key') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [jwkOf(clientKey, 'k1'), { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA', kid: 'bad', alg: 'ES256', use: 'sig' }] }));
    // A set that publishes a private key by mistake (jose imports it, then refuses it as JWKSInvalid).
    if (mode === 'a private key') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [jwkOf(clientKey, 'k1'), { ...newKey.privateKey.export({ format: 'jwk' }), kid: 'leaked', alg: 'ES256', use: 'sig' }] }));
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [jwkOf(clientKey, 'k1')] }));
  }).listen(0, '127.0.0.1');
  await once(host, 'listening');
  jwksUri = `http://127.0.0.1:${(host.address() as AddressInfo).port}/jwks.json?sig=operator-secret`;
});
afterAll(async () => {
  host.closeAllConnections();
  await new Promise((resolve) => host.close(resolve));
});

let clock: number;
let failures: JwksFetchFailure[];
let verify: ReturnType<typeof createClientAssertionVerifier>;
let partner: Caller;
/** jose keeps its cache on Date.now; `joseLater` moves that clock without waiting. */
let joseLater: number;
beforeEach(() => {
  mode = 'ok';
  fetches = 0;
  clock = NOW;
  failures = [];
  joseLater = 0;
  const realNow = Date.now.bind(Date);
  jest.spyOn(Date, 'now').mockImplementation(() => realNow() + joseLater);
  // A fresh verifier, so a fresh key set, for each test.
  verify = createClientAssertionVerifier({ replay: createMemoryReplayStore(), clock: () => clock, remoteTimeoutMs: TIMEOUT_MS, onJwksFetchFailed: (failure) => failures.push(failure) });
  [partner] = parseCallers(JSON.stringify([oauthCaller('partner', { jwksUri, authMethods: ['private_key_jwt'] }).entry]), 'CALLERS') as [Caller];
});
afterEach(() => {
  jest.restoreAllMocks();
  for (const res of waiting.splice(0)) res.destroy();
});

const signed = (kid = 'k1', key = clientKey) => signAssertion('partner', key.privateKey, clock, ENDPOINT, { kid });

/** What the verifier answers: 'ok', or the OAuth error and its description. */
async function answer(assertion: string | Promise<string>): Promise<string> {
  try {
    await verify(await assertion, partner, AUDIENCES);
    return 'ok';
  } catch (error) {
    if (error instanceof OAuthError) return `${error.error}: ${error.description}`;
    throw error;
  }
}

/** As many requests as may wait on one fetch, sent at once: the answers to come. */
async function asManyAsMayWait(kid = 'k1', key = clientKey): Promise<Array<Promise<string>>> {
  const assertions = await Promise.all(Array.from({ length: MAX_WAITING_PER_URI }, () => signed(kid, key)));
  return assertions.map((assertion) => answer(assertion));
}

/** The answer and how long it took. */
async function timed(assertion: string | Promise<string>): Promise<{ answer: string; ms: number }> {
  const text = await assertion;
  const started = performance.now();
  return { answer: await answer(text), ms: performance.now() - started };
}

describe('a client whose jwksUri works', () => {
  it('is verified against the keys fetched once, and an unknown key is refused as before, not as a fetch failure', async () => {
    expect(await answer(signed())).toBe('ok');
    expect(await answer(signed())).toBe('ok');
    // Within jose's 30 s after a success, an unknown kid is not refetched: it is simply not this client's key.
    expect(await answer(signed('k9', newKey))).toBe('invalid_client: The client assertion is not signed by a key registered for this client');
    expect(fetches).toBe(1);
    expect(failures).toEqual([]);
  });
});

describe('a key in the fetched set that cannot be imported', () => {
  it('refuses the assertions naming it, but is no failed fetch: no cooldown, no fetch_failed log, the other keys verify (second review: anyone naming it started a 30 s cooldown)', async () => {
    mode = 'one bad key';
    expect(await answer(signed())).toBe('ok');
    expect(await answer(signed('bad'))).toMatch(/^invalid_client: /);
    expect(await answer(signed('bad'))).not.toBe(FETCH_FAILED);
    expect(failures).toEqual([]);
    expect(await answer(signed())).toBe('ok');
  });
});

describe('a private key in the fetched set', () => {
  it('is no failed fetch either: naming its kid is refused, starts no cooldown and logs no fetch_failed (third review)', async () => {
    mode = 'a private key';
    expect(await answer(signed())).toBe('ok');
    expect(await answer(signed('leaked', newKey))).toMatch(/^invalid_client: /);
    expect(failures).toEqual([]);
    expect(await answer(signed())).toBe('ok');
  });
});

describe('after a failed fetch', () => {
  it('refuses at once, without fetching, for the cooldown; logs the failure once, without the URI query or the assertion', async () => {
    mode = 'hang';
    const first = await timed(signed());
    expect(first.answer).toBe(FETCH_FAILED);
    expect(first.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    for (let i = 0; i < 5; i += 1) {
      const next = await timed(signed());
      expect(next.answer).toBe(FETCH_FAILED);
      expect(next.ms).toBeLessThan(TIMEOUT_MS / 2);
    }
    expect(fetches).toBe(1);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ jwksUri: jwksUri.replace('?sig=operator-secret', ''), retryInMs: FAILED_FETCH_COOLDOWN_MS });
    expect(JSON.stringify(failures)).not.toContain('operator-secret');
  });

  it('counts a non-200 answer as a failed fetch too (it was reported as a malformed JWT)', async () => {
    mode = 'error';
    expect(await answer(signed())).toBe(FETCH_FAILED);
    mode = 'ok';
    expect(await answer(signed())).toBe(FETCH_FAILED);
    expect(fetches).toBe(1);
  });

  it('counts a 200 whose JSON is not a JWK Set as a failed fetch too (jose: JWKSInvalid, "malformed")', async () => {
    mode = 'not a set';
    expect(await answer(signed())).toBe(FETCH_FAILED);
    mode = 'ok';
    expect(await answer(signed())).toBe(FETCH_FAILED);
    expect(fetches).toBe(1);
    expect(failures).toHaveLength(1);
  });

  it('fetches again once the cooldown is over, and verifies when the host is back', async () => {
    mode = 'error';
    expect(await answer(signed())).toBe(FETCH_FAILED);
    mode = 'ok';
    clock = NOW + FAILED_FETCH_COOLDOWN_MS - 1;
    expect(await answer(signed())).toBe(FETCH_FAILED);
    expect(fetches).toBe(1);
    clock = NOW + FAILED_FETCH_COOLDOWN_MS;
    expect(await answer(signed())).toBe('ok');
    expect(fetches).toBe(2);
  });

  it('a host still down is tried once per cooldown and logged once per try', async () => {
    mode = 'error';
    for (const at of [0, 1, FAILED_FETCH_COOLDOWN_MS, FAILED_FETCH_COOLDOWN_MS + 1, 2 * FAILED_FETCH_COOLDOWN_MS]) {
      clock = NOW + at;
      expect(await answer(signed())).toBe(FETCH_FAILED);
    }
    expect(fetches).toBe(3);
    expect(failures).toHaveLength(3);
  });
});

describe('keys jose already holds', () => {
  it('keep verifying while a refetch for an unknown kid fails, and during the cooldown that follows', async () => {
    expect(await answer(signed())).toBe('ok');
    // jose refetches for an unknown kid 30 s after its last success.
    joseLater = 31_000;
    mode = 'error';
    expect(await answer(signed('k2', newKey))).toBe(FETCH_FAILED);
    expect(fetches).toBe(2);
    expect(await answer(signed())).toBe('ok');
    expect(await answer(signed('k2', newKey))).toBe(FETCH_FAILED);
    expect(fetches).toBe(2);
  });

  it('are not used past jose’s 10 minutes when the refresh fails: a key removed at the URI is not trusted for as long as the host is down', async () => {
    expect(await answer(signed())).toBe('ok');
    joseLater = 10 * 60_000 + 1;
    mode = 'error';
    expect(await answer(signed())).toBe(FETCH_FAILED);
    expect(await answer(signed())).toBe(FETCH_FAILED);
    expect(fetches).toBe(2);
  });
});

describe('while a fetch is in flight', () => {
  it(`${MAX_WAITING_PER_URI} requests wait on it; another that needs it is told at once to retry (503)`, async () => {
    mode = 'hang';
    const waiters = await asManyAsMayWait();
    await until(() => fetches === 1, 1000, 'the fetch');
    const started = performance.now();
    let refused: unknown;
    try {
      await verify(await signed(), partner, AUDIENCES);
    } catch (error) {
      refused = error;
    }
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS / 2);
    expect(refused).toBeInstanceOf(OAuthError);
    expect(refused).toMatchObject({ error: 'temporarily_unavailable', status: 503, headers: { 'Retry-After': '1' } });
    expect(await Promise.all(waiters)).toEqual(waiters.map(() => FETCH_FAILED));
    expect(fetches).toBe(1);
  });

  it(`at most ${MAX_WAITING_IN_ALL} wait across every jwksUri (plus each URI's first, which starts its fetch): many clients' sets on one host that hangs do not add up to a cap's worth`, async () => {
    mode = 'hang';
    const uris = 5;
    // The scenario asks for more waiters than may wait in all (else it proves nothing).
    expect(uris * MAX_WAITING_PER_URI).toBeGreaterThan(MAX_WAITING_IN_ALL + uris);
    const partners = parseCallers(
      JSON.stringify(Array.from({ length: uris }, (_, index) => oauthCaller(`partner-${index}`, { jwksUri: `${jwksUri}&n=${index}`, authMethods: ['private_key_jwt'] }).entry)),
      'CALLERS',
    );
    const asks = await Promise.all(
      partners.flatMap((caller) => Array.from({ length: MAX_WAITING_PER_URI }, async () => [caller, await signAssertion(caller.id, clientKey.privateKey, clock, ENDPOINT, { kid: 'k1' })] as const)),
    );
    const answers = asks.map(async ([caller, assertion]) => {
      try {
        await verify(assertion, caller, AUDIENCES);
        return 'ok';
      } catch (error) {
        return error instanceof OAuthError ? `${error.error}: ${error.description}` : String(error);
      }
    });
    const settled = await Promise.all(answers);
    const waited = settled.filter((text) => text === FETCH_FAILED).length;
    expect(waited + settled.filter((text) => text === IN_FLIGHT).length).toBe(uris * MAX_WAITING_PER_URI);
    // Without the bound in all, every one of the 80 waited.
    expect(waited).toBeLessThanOrEqual(MAX_WAITING_IN_ALL + uris);
    expect(fetches).toBe(uris);
  });

  it('a burst of the client\'s own requests while its set is first fetched waits on that fetch and is answered, as in jose', async () => {
    // Eight pods of one client starting together (with one waiter per URI, seven of them got 503).
    const burst = (await Promise.all(Array.from({ length: 8 }, () => signed()))).map((assertion) => answer(assertion));
    expect(await Promise.all(burst)).toEqual(burst.map(() => 'ok'));
    expect(fetches).toBe(1);
  });

  it('a request whose key jose holds is answered from it at once, while a refetch for an unknown kid waits', async () => {
    expect(await answer(signed())).toBe('ok');
    joseLater = 31_000;
    mode = 'hang';
    const waiters = await asManyAsMayWait('k2', newKey);
    await until(() => fetches === 2, 1000, 'the refetch');
    expect((await timed(signed())).answer).toBe('ok');
    expect(await answer(signed('k3', newKey))).toBe(IN_FLIGHT);
    expect(await Promise.all(waiters)).toEqual(waiters.map(() => FETCH_FAILED));
  });

  it('but a stale set being refreshed answers no one: past jose’s 10 minutes its keys wait on the refresh, as in jose, or are told to retry', async () => {
    expect(await answer(signed())).toBe('ok');
    joseLater = 10 * 60_000 + 1;
    mode = 'hang';
    const waiters = await asManyAsMayWait();
    await until(() => fetches === 2, 1000, 'the refresh');
    const other = await timed(signed());
    expect(other.answer).toBe(IN_FLIGHT);
    expect(other.ms).toBeLessThan(TIMEOUT_MS / 2);
    expect(await Promise.all(waiters)).toEqual(waiters.map(() => FETCH_FAILED));
  });

  it('so a key removed at a URI whose host hangs is not trusted again at each try after the cooldown (review: it was, for the length of each fetch, every 30 s)', async () => {
    expect(await answer(signed())).toBe('ok');
    // k1 is removed at the URI (a leaked key, say) and the host then hangs; jose's 10 minutes run out.
    joseLater = 10 * 60_000 + 1;
    mode = 'hang';
    for (let attempt = 0; attempt < 2; attempt += 1) {
      // Anyone who names the client starts the refresh and waits on it ...
      const waiters = await asManyAsMayWait('k9', newKey);
      await until(() => fetches === 2 + attempt, 1000, 'the refresh');
      // ... and the holder of the removed key asks meanwhile.
      expect(await answer(signed())).not.toBe('ok');
      expect(await Promise.all(waiters)).toEqual(waiters.map(() => FETCH_FAILED));
      expect(await answer(signed())).toBe(FETCH_FAILED);
      clock += FAILED_FETCH_COOLDOWN_MS;
    }
  });
});
