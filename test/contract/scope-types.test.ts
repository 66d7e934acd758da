/**
 * Vapi's token scope is described in several places, because several readers need it: @tokenvend/verify's
 * types (the claim consumers read, and what the service's schemas must produce: src/auth/token-scope.ts
 * checks that), openapi.yaml (the request, rendered into @tokenvend/client's types), the service's zod
 * schemas (what it accepts), and two member lists at run time (verify's claim check, the client's cache
 * key). The type checks below run in `npm run typecheck` (jest only transpiles); the tests hold the rest
 * to the schema's members, so a member added in one place is not silently skipped in another.
 */
import type { TokenRequest, TokenRestrictions as ClientTokenRestrictions } from '@tokenvend/client';
import { readTokenClaims, TokenVerificationError, type TokenRestrictions, type TokenTag } from '@tokenvend/verify';
import { tokenCacheKey } from '../../packages/client/src/token-cache.js';
import type { AssertTrue, SameShape } from '../../src/auth/same-shape.js';
import { restrictionsSchema, TOKEN_TAGS } from '../../src/auth/token-scope.js';
import { spec } from '../support/openapi-contract.js';

// The client's types come from openapi.yaml (client-types.test.ts keeps them current); verify's are the claim's.
type ClientRestrictionsMatch = AssertTrue<SameShape<ClientTokenRestrictions, TokenRestrictions>>;
type ClientTagMatches = AssertTrue<SameShape<NonNullable<TokenRequest['tag']>, TokenTag>>;

interface ObjectSchema {
  readonly additionalProperties?: unknown;
  readonly required?: readonly string[];
  readonly properties: Record<string, { readonly enum?: readonly unknown[] }>;
}
const schemas = (spec as { components: { schemas: Record<string, ObjectSchema> } }).components.schemas;
const MEMBERS = Object.keys(restrictionsSchema.shape) as (keyof TokenRestrictions)[];

/** Two different values of a member's type (verify and the client check types, not the schema's patterns). */
const twoValues = (member: keyof TokenRestrictions): [unknown, unknown] =>
  restrictionsSchema.shape[member].safeParse(true).success ? [true, false] : [['https://a.example'], ['https://b.example']];

describe('the token scope in openapi.yaml, the service\'s schemas and the packages\' run-time checks', () => {
  it('the schema knows the four members Vapi defines', () => {
    expect([...MEMBERS].sort()).toEqual(['allowTransientAssistant', 'allowedAssistantIds', 'allowedOrigins', 'enabled']);
  });

  it('openapi.yaml\'s TokenRestrictions has the schema\'s members, all optional, and no others', () => {
    const documented = schemas['TokenRestrictions'];
    expect(Object.keys(documented?.properties ?? {}).sort()).toEqual([...MEMBERS].sort());
    expect(documented?.required).toBeUndefined();
    expect(documented?.additionalProperties).toBe(false);
  });

  it('openapi.yaml\'s TokenRequest.tag lists the tags the service accepts', () => {
    expect(schemas['TokenRequest']?.properties['tag']?.enum).toEqual([...TOKEN_TAGS]);
  });

  it.each([...TOKEN_TAGS])('@tokenvend/verify accepts a token claim tagged %s', (tag) => {
    expect(readTokenClaims({ orgId: 'org_a', jti: 'j', exp: 2, iat: 1, token: { tag } }).token).toEqual({ tag });
  });

  it.each(MEMBERS)('@tokenvend/verify checks restrictions.%s of a token claim', (member) => {
    const payload = (value: unknown) => ({ orgId: 'org_a', jti: 'j', exp: 2, iat: 1, token: { tag: 'public', restrictions: { [member]: value } } });
    for (const value of twoValues(member)) expect(() => readTokenClaims(payload(value))).not.toThrow();
    expect(() => readTokenClaims(payload(42))).toThrow(TokenVerificationError);
  });

  it.each(MEMBERS)('@tokenvend/client caches tokens apart when restrictions.%s differs', (member) => {
    const [one, other] = twoValues(member);
    expect(tokenCacheKey({ tag: 'public', restrictions: { [member]: one } })).not.toBe(tokenCacheKey({ tag: 'public', restrictions: { [member]: other } }));
  });
});
