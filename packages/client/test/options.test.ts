import { TokenClientError } from '../src/errors.js';
import { parseOptions, type TokenClientOptions } from '../src/options.js';

const API_KEY = 'tvk_test_3f9a1c_secret';
const valid: TokenClientOptions = { baseUrl: 'https://tokenvend.internal', apiKey: API_KEY };

function rejection(options: Partial<TokenClientOptions> | Record<string, unknown>): TokenClientError {
  try {
    parseOptions({ ...valid, ...options } as TokenClientOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(TokenClientError);
    return error as TokenClientError;
  }
  throw new Error('parseOptions accepted invalid options');
}

describe('parseOptions', () => {
  it('applies the documented defaults', () => {
    const config = parseOptions(valid);
    expect({ ...config, fetch: typeof config.fetch, now: config.now, sleep: typeof config.sleep, random: config.random }).toEqual({
      tokenUrl: 'https://tokenvend.internal/tokens',
      apiKey: API_KEY,
      refreshBeforeMs: undefined,
      fetch: 'function',
      timeoutMs: 5000,
      maxRetries: 4,
      deadlineMs: 15_000,
      tokenRejectionIntervalMs: 10_000,
      initialBackoffMs: 200,
      maxBackoffMs: 5000,
      onRefreshError: undefined,
      now: Date.now,
      sleep: 'function',
      random: Math.random,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    ['https://tokenvend.internal', 'https://tokenvend.internal/tokens'],
    ['https://tokenvend.internal/', 'https://tokenvend.internal/tokens'],
    ['https://tokenvend.internal/v1', 'https://tokenvend.internal/v1/tokens'],
    ['http://127.0.0.1:8080/api/v1/', 'http://127.0.0.1:8080/api/v1/tokens'],
  ])('resolves %s to %s', (baseUrl, tokenUrl) => {
    expect(parseOptions({ ...valid, baseUrl }).tokenUrl).toBe(tokenUrl);
  });

  it('converts refreshBeforeSeconds to milliseconds and keeps maxRetries 0', () => {
    const config = parseOptions({ ...valid, refreshBeforeSeconds: 30, maxRetries: 0 });
    expect(config.refreshBeforeMs).toBe(30_000);
    expect(config.maxRetries).toBe(0);
  });

  it.each([
    [{ baseUrl: 'tokenvend.internal' }, 'baseUrl', 'an absolute http(s) URL'],
    [{ baseUrl: 'ftp://tokenvend.internal' }, 'baseUrl', 'an absolute http(s) URL'],
    [{ baseUrl: 'https://u:p@tokenvend.internal' }, 'baseUrl', 'a URL without user or password'],
    [{ baseUrl: 'https://tokenvend.internal/?x=1' }, 'baseUrl', 'a URL without query or fragment'],
    [{ apiKey: '' }, 'apiKey', 'a non-empty string without whitespace'],
    [{ apiKey: undefined }, 'apiKey', 'a non-empty string without whitespace'],
    [{ timeoutMs: 0 }, 'timeoutMs', 'a positive finite number'],
    [{ deadlineMs: Number.POSITIVE_INFINITY }, 'deadlineMs', 'a positive finite number'],
    [{ maxRetries: 1.5 }, 'maxRetries', 'a non-negative integer'],
    [{ maxRetries: -1 }, 'maxRetries', 'a non-negative integer'],
    [{ refreshBeforeSeconds: -1 }, 'refreshBeforeSeconds', 'a non-negative finite number'],
    [{ fetch: 'fetch' }, 'fetch', 'a function'],
    [{ now: 5 }, 'now', 'a function'],
  ])('rejects %j naming the option', (options, option, expected) => {
    const error = rejection(options);
    expect(error.code).toBe('ERR_TOKENVEND_CLIENT_INVALID_OPTIONS');
    expect(error.message).toBe(`Invalid tokenvend client option "${option}": expected ${expected}`);
  });

  it('does not echo a malformed API key', () => {
    const error = rejection({ apiKey: `${API_KEY} ` });
    expect(error.message).not.toContain(API_KEY);
  });
});
