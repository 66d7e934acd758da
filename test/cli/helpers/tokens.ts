/** Small token helpers for the CLI tests. */

/** Flips one bit of the signature's first byte, keeping the token well-formed. */
export function tamper(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const bytes = Buffer.from(signature, 'base64url');
  bytes[0] = (bytes[0] as number) ^ 1;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}

export function decodeHeader(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString('utf8')) as Record<string, unknown>;
}
