import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const README = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');

// Strings someone may try as a key after copying an example; none may be what an example digest hashes.
const GUESSABLE = ['', 'test', 'Test', 'TEST', 'password', 'secret', 'changeme', 'key', 'example', 'demo', 'admin', 'caller', 'web-backend', 'billing', '123456', 'foo', 'bar', 'abc', 'hello'];

describe('README examples are not working credentials', () => {
  it('every example keySha256 is a digest with no guessable preimage', () => {
    const digests = [...README.matchAll(/"keySha256": "([0-9a-f]{64})"/g)].map((match) => match[1]);
    expect(digests.length).toBeGreaterThan(0);
    const guessed = new Set(GUESSABLE.map((guess) => createHash('sha256').update(guess).digest('hex')));
    for (const digest of digests) expect(guessed.has(digest as string)).toBe(false);
  });
});
