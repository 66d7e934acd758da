/** Awaits a verification that must fail and checks the error never quotes the token. */
import { TokenVerificationError } from '../../src/index.js';

export async function rejection(verification: Promise<unknown>, token: string): Promise<TokenVerificationError> {
  const err = await verification.then(
    () => { throw new Error('verification should have failed'); },
    (reason: unknown) => reason,
  );
  expect(err).toBeInstanceOf(TokenVerificationError);
  const { message, stack = '' } = err as TokenVerificationError;
  for (const part of [token, ...token.split('.')].filter((part) => part.length > 0)) {
    expect(message).not.toContain(part);
    expect(stack).not.toContain(part);
  }
  return err as TokenVerificationError;
}

/** The jose error code behind a TokenVerificationError, if any. */
export const causeCode = (err: TokenVerificationError): unknown => (err.cause as { code?: unknown } | undefined)?.code;
