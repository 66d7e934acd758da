/**
 * Both doors (token-door.ts): no token leaves before its audit line is written, and when the write
 * fails the caller gets a 5xx without a token, one refusal line and one response. Until now only
 * POST /tokens had this pinned (test/e2e/process.test.ts, EPIPE); the OAuth door took it on trust.
 */
import { createCallerRegistry } from '../../src/auth/caller-registry.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createApp } from '../../src/http/create-app.js';
import { createKeyRing } from '../../src/keys/key-ring.js';
import { loadSigningKeys } from '../../src/keys/load-signing-keys.js';
import { createLogger } from '../../src/logging/create-logger.js';
import { callersJson, testCaller } from '../support/callers.js';
import { p256Key } from '../support/keys.js';
import { serveOnLoopback, type ServedApp } from '../support/serve-app.js';
import { sleep, until } from '../support/wait.js';

const web = testCaller('web-backend');
const doors = {
  tokens: { status: 201, init: (): RequestInit => ({ method: 'POST', headers: { Authorization: `Bearer ${web.key}`, 'Content-Type': 'application/json' }, body: '{"orgId":"org_a"}' }), path: '/tokens' },
  oauth: {
    status: 200,
    init: (): RequestInit => ({ method: 'POST', headers: { Authorization: `Basic ${Buffer.from(`web-backend:${web.key}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=org:org_a' }),
    path: '/oauth/token',
  },
} as const;

let served: ServedApp;
let lines: Array<Record<string, unknown>>;
/** The destination's pending writes: each request's audit line waits here until the test settles it. */
let pending: Array<{ resolve: () => void; reject: (error: Error) => void }>;

beforeEach(async () => {
  const config = loadConfig({ NODE_ENV: 'production', PRIVATE_KEY: p256Key().pkcs8, CALLERS: callersJson(web), ORG_ID: 'org_a' });
  lines = [];
  pending = [];
  const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const logWritten = () => new Promise<void>((resolve, reject) => void pending.push({ resolve, reject }));
  served = await serveOnLoopback(createApp({ config, logger, logWritten, keyRing: createKeyRing(await loadSigningKeys(config)), callers: createCallerRegistry(config.callers ?? []) }));
});
afterEach(async () => {
  await served.close();
});

describe.each(Object.entries(doors))('%s', (door, { status, init, path }) => {
  it('sends the token only once its audit line is written', async () => {
    const answer = fetch(`${served.base}${path}`, init()).then(async (res) => ({ status: res.status, body: await res.text() }));
    await until(() => pending.length === 1, 2000, 'the door waiting on the audit write');
    expect(lines.filter((line) => line.event === 'token.issued')).toEqual([expect.objectContaining({ caller: 'web-backend', orgId: 'org_a', ...(door === 'oauth' && { door: 'oauth', authMethod: 'client_secret_basic' }) })]);
    // Given time to arrive, nothing does.
    expect(await Promise.race([answer.then(() => 'answered'), sleep(300).then(() => 'still waiting')])).toBe('still waiting');
    pending[0]?.resolve();
    expect((await answer).status).toBe(status);
  });

  it('a failed audit write sends no token: one 500, one refusal line', async () => {
    const answer = fetch(`${served.base}${path}`, init()).then(async (res) => ({ status: res.status, body: await res.text() }));
    await until(() => pending.length === 1, 2000, 'the door waiting on the audit write');
    pending[0]?.reject(new Error('EIO'));
    const { status: failed, body } = await answer;
    expect(failed).toBe(500);
    expect(body).not.toMatch(/eyJ/);
    expect(lines.filter((line) => line.event === 'token.rejected')).toEqual([expect.objectContaining({ caller: 'web-backend', reason: 'unavailable', status: 500 })]);
  });
});
