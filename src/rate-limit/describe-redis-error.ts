/**
 * Says where a Redis is and why it failed, for log lines: the host and port (never the credentials a
 * URL may carry) and the cause (an errno, an authentication reply, a TLS failure), never a message
 * that could quote the URL.
 */

/**
 * `host:port` of a redis:// or rediss:// URL; user and password are left out.
 *
 * @example
 * redisAddress('redis://:hunter2@cache.internal:6380/0'); // 'cache.internal:6380'
 */
export function redisAddress(url: string): string {
  try {
    const { hostname, port } = new URL(url);
    return `${hostname}:${port || '6379'}`;
  } catch {
    return 'an unparsable URL';
  }
}

// Node's TLS and OpenSSL error codes (certificate checks, handshake), as opposed to an errno.
const TLS_CODE = /^(?:ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|DEPTH_ZERO_|SELF_SIGNED_|UNABLE_TO_|HOSTNAME_MISMATCH)/;
// The first word of a Redis error reply is its code; these mean the credentials were refused.
const AUTH_REPLY = /^(NOAUTH|WRONGPASS|NOPERM)\b/;

/**
 * The cause of a Redis client or command error, in a few words fit for a log line.
 *
 * @example
 * describeRedisError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' })); // 'ECONNREFUSED'
 * describeRedisError(new Error('WRONGPASS invalid username-password pair')); // 'WRONGPASS (authentication failed)'
 */
export function describeRedisError(error: unknown): string {
  // Duck-typed: Node's own errors may come from another realm (a vm context) than this module's Error.
  if (typeof error !== 'object' || error === null || typeof (error as Error).message !== 'string') return 'unknown error';
  const { message, name } = error as Error;
  const reply = AUTH_REPLY.exec(message)?.[1];
  if (reply === 'NOPERM') return 'NOPERM (the Redis user may not run the limiter\'s commands)';
  if (reply !== undefined) return `${reply} (authentication failed)`;
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && TLS_CODE.test(code)) return `TLS (${code})`;
  if (typeof code === 'string') return code;
  // The redis client's own classes (ConnectionTimeoutError, ClientOfflineError...) say it by name.
  const className = (error as object).constructor?.name;
  return className !== undefined && className !== 'Error' && className !== 'Object' ? className : name;
}
