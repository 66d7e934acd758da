/**
 * Review of the two-key refusal in readLocalKeys (`keys`): texts holding two private or two public
 * keys are refused, but certificates are not counted and a private key and a public key are counted
 * apart, so a text naming two different keys in mixed forms is still read as its first block, and
 * the verifier trusts a key the operator may not have meant (a CA certificate pasted before the
 * issuer's public key: tokens signed by the CA's key verify, the issuer's do not). Each text below
 * names two keys; each is accepted, its first block used, on the code at a5991b1.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createVerifier, VerifierConfigError } from '../src/index.js';
import { certificatePem } from './helpers/certificates.js';

const pair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const issuer = pair();
const other = pair();
const ca = pair();
const spki = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }) as string;
const pkcs8 = (key: KeyObject): string => key.export({ type: 'pkcs8', format: 'pem' }) as string;

describe('a text naming two different keys in mixed forms is refused, as two public keys are', () => {
  test.each<[string, () => string]>([
    ["the issuer's public key, then a certificate of another key", () => `${spki(issuer.publicKey)}${certificatePem(other.publicKey, ca.privateKey, 'other', 'test CA')}`],
    ["a CA's self-signed certificate (a trust bundle), then the issuer's public key", () => `${certificatePem(ca.publicKey, ca.privateKey, 'test CA', 'test CA')}${spki(issuer.publicKey)}`],
    ["another private key, then the issuer's public key", () => `${pkcs8(other.privateKey)}${spki(issuer.publicKey)}`],
    ['two certificates that are not a chain (the current and the next)', () => `${certificatePem(issuer.publicKey, ca.privateKey, 'current', 'test CA')}${certificatePem(other.publicKey, ca.privateKey, 'next', 'test CA')}`],
  ])('%s', (_name, text) => {
    const material = text();
    let thrown: unknown;
    try {
      createVerifier({ keys: material });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(VerifierConfigError);
    expect((thrown as Error).message).toMatch(/holds 2 .*give exactly one/);
    for (const line of material.split('\n').filter((text) => text !== '' && !text.startsWith('-----'))) expect((thrown as Error).message).not.toContain(line);
  });

  test('a real chain, leaf first, is still one key', () => {
    const chain = `${certificatePem(issuer.publicKey, ca.privateKey, 'tokens.example.com', 'test CA')}${certificatePem(ca.publicKey, ca.privateKey, 'test CA', 'test CA')}`;
    expect(() => createVerifier({ keys: chain })).not.toThrow();
  });
});
