import { describe, expect, it } from '@jest/globals';
import { publicBaseUrl } from '../../../src/config/public-base-url.js';

describe('publicBaseUrl: the one rule discovery, the OAuth door and /docs share', () => {
  it.each<[string, string | undefined, string | undefined, string | undefined]>([
    ['PUBLIC_URL wins over an http(s) issuer', 'https://tokens.internal', 'https://tokens.example', 'https://tokens.internal'],
    ['PUBLIC_URL wins over a non-URL issuer', 'https://tokens.internal', 'tokenvend', 'https://tokens.internal'],
    ['an https issuer without PUBLIC_URL', undefined, 'https://tokens.example', 'https://tokens.example'],
    ['an http issuer, its trailing slashes dropped', undefined, 'http://127.0.0.1:8080//', 'http://127.0.0.1:8080'],
    ['an issuer with a path keeps it', undefined, 'https://auth.example/tokenvend/', 'https://auth.example/tokenvend'],
    ['a non-URL issuer: none (routes use the request URL)', undefined, 'tokenvend', undefined],
    ['a URL of another scheme is no base', undefined, 'urn:example:tokenvend', undefined],
    ['nothing configured', undefined, undefined, undefined],
  ])('%s', (_name, publicUrl, issuer, expected) => {
    expect(publicBaseUrl(publicUrl, issuer)).toBe(expected);
  });
});
