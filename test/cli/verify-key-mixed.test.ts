/**
 * Review of the two-key refusal in `verify --key` (load-verification-key.ts, find-pem-block.ts):
 * certificates are not counted, and a private and a public key are counted apart, so a file naming
 * two different keys in mixed forms is read as its first block. Here the first is the signer's, so
 * the code at a5991b1 verifies (exit 0) where a file with two public keys is refused.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { verify } from '../../src/cli/commands/verify.js';
import { certificatePem } from '../support/certificates.js';
import { run } from './helpers/memory-io.js';

const pair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signer = pair();
const other = pair();
const ca = pair();
const spki = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }) as string;
const pkcs8 = (key: KeyObject): string => key.export({ type: 'pkcs8', format: 'pem' }) as string;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tokenvend-verify-mixed-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test.each<[string, () => string]>([
  ["the signer's public key, then a certificate of another key", () => `${spki(signer.publicKey)}${certificatePem(other.publicKey, ca.privateKey, 'other', 'test CA')}`],
  ["the signer's certificate, then another public key", () => `${certificatePem(signer.publicKey, ca.privateKey, 'signer', 'test CA')}${spki(other.publicKey)}`],
  ["the signer's private key, then another public key", () => `${pkcs8(signer.privateKey)}${spki(other.publicKey)}`],
  ['two certificates that are not a chain (the current and the next)', () => `${certificatePem(signer.publicKey, ca.privateKey, 'current', 'test CA')}${certificatePem(other.publicKey, ca.privateKey, 'next', 'test CA')}`],
])('%s is refused, naming --key and never the material', async (name, material) => {
  const token = await new SignJWT({ orgId: 'org_a' }).setProtectedHeader({ alg: 'ES256' }).setJti(randomUUID()).setIssuedAt().setExpirationTime('5m').sign(signer.privateKey);
  const path = join(dir, `${name.length}.pem`);
  const text = material();
  writeFileSync(path, text);
  const { code, stdout, stderr } = await run(verify, [token, '--key', path]);
  expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
  expect(stderr).toMatch(/^tokenvend verify: --key: holds 2 .*give exactly one/);
  for (const line of text.split('\n').filter((entry) => entry !== '' && !entry.startsWith('-----'))) expect(stderr).not.toContain(line);
});
