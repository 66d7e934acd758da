import { KeySetError, parseKeySet } from '../../../src/keys/key-set.js';
import { keySetJson, privateSetKey } from '../../support/key-sets.js';

describe('parseKeySet', () => {
  it('loads mixed algorithms in order: the first signs, each alg from its member or inferred', async () => {
    const keys = await parseKeySet(keySetJson(privateSetKey('ES256', 'k-es'), privateSetKey('PS256', 'k-ps'), privateSetKey('EdDSA', 'k-ed'), privateSetKey('RS256', 'k-rs')));
    expect(keys.map((key) => [key.kid, key.alg])).toEqual([
      ['k-es', 'ES256'],
      ['k-ps', 'PS256'],
      ['k-ed', 'EdDSA'],
      ['k-rs', 'RS256'],
    ]);
    for (const key of keys) expect(key.publicJwk).not.toHaveProperty('d');
  });

  const es = () => privateSetKey('ES256', 'a');
  it.each<[string, () => string, string]>([
    ['broken JSON', () => '{"keys": [', 'is not valid JSON (line 1, column 11)'],
    ['JSON broken on line 2', () => '{"keys": [\n  {"kid": "a",}\n]}', 'is not valid JSON (line 2, column 15)'],
    ['a bare array', () => JSON.stringify([es()]), 'must be a JWK Set: { "keys": [ ... ] }'],
    ['no keys', () => keySetJson(), 'must hold at least one key'],
    ['a key without kid', () => keySetJson({ ...es(), kid: undefined }), 'keys[0]: needs a "kid" of 1-128 printable ASCII characters'],
    ['duplicate kids', () => keySetJson(es(), privateSetKey('EdDSA', 'a')), 'keys[1] ("a"): "kid" is used by another key'],
    ['a public key', () => keySetJson({ ...es(), d: undefined }), 'keys[0] ("a"): is a public JWK; a private key (with "d") is required'],
    ['an alg that does not fit', () => keySetJson(es(), { ...privateSetKey('EdDSA', 'b'), alg: 'ES256' }), 'keys[1] ("b"): ES256 does not suit the ed25519 key (it supports EdDSA)'],
  ])('rejects the whole file for %s', async (_name, json, message) => {
    const content = json();
    const error = await parseKeySet(content).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeySetError);
    expect((error as Error).message).toBe(message);
    const d = (JSON.parse(content.startsWith('{"keys": [') ? '{}' : content) as { keys?: Array<{ d?: string }> }).keys?.[0]?.d;
    if (d) expect((error as Error).message).not.toContain(d);
  });
});
