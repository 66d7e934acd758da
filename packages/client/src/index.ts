/** Public API of `@tokenvend/client`: the SDK backends use to obtain and send vended tokens. */

export { createTokenClient } from './token-client.js';
export type { GetTokenOptions, GetTokenRequest, TokenClient } from './token-client.js';
export type { TokenFetchInit } from './authorized-fetch.js';
export type { TokenClientOptions } from './options.js';
export type { Sleep } from './sleep.js';
export { TokenClientError, TokenClientErrorCodes } from './errors.js';
export type { TokenClientErrorCode, TokenClientErrorDetails } from './errors.js';
export type { Problem, TokenRequest, TokenResponse, TokenRestrictions } from './api-types.js';
