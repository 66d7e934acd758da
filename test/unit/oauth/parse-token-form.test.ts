/** The token request form, decoded as the HTML standard RFC 6749 Appendix B refers to decodes it. */
import { MAX_FORM_PARAMETERS, readTokenForm, requestedOrg } from '../../../src/oauth/parse-token-form.js';
import { OAuthError } from '../../../src/oauth/oauth-error.js';

const refusal = (body: string | Buffer | undefined) => refusalOf(() => readTokenForm(body));

describe('readTokenForm', () => {
  it('decodes percent-escapes and "+" as a space, as every form encoder writes them', () => {
    const form = readTokenForm('grant_type=client_credentials&scope=org%3Aorg_a+org%3Aorg_b&client_id=web%2Bbackend&client_secret=tv_%C3%A9');
    expect(form).toMatchObject({ grantType: 'client_credentials', scope: 'org:org_a org:org_b', clientId: 'web+backend', clientSecret: 'tv_é' });
  });

  it('takes resource (RFC 8707) as the audience, and refuses audience and resource that differ', () => {
    expect(readTokenForm('grant_type=client_credentials&resource=orders-api').audience).toBe('orders-api');
    expect(readTokenForm('grant_type=client_credentials&resource=orders-api&audience=orders-api').audience).toBe('orders-api');
    expect(refusal('grant_type=client_credentials&resource=orders-api&audience=billing-api').error).toBe('invalid_request');
  });

  it('ignores parameters it does not know, whatever their names', () => {
    const form = readTokenForm('grant_type=client_credentials&__proto__=x&constructor=y&hasOwnProperty=z&scope[]=a&foo=bar');
    expect(form).toEqual({
      grantType: 'client_credentials',
      scope: undefined,
      orgId: undefined,
      audience: undefined,
      clientId: undefined,
      clientSecret: undefined,
      clientAssertionType: undefined,
      clientAssertion: undefined,
    });
  });

  it.each<[string, string | Buffer | undefined, string]>([
    ['no body', undefined, 'grant_type is required (client_credentials)'],
    ['no grant_type', 'scope=org%3Aa', 'grant_type is required (client_credentials)'],
    ['a repeated parameter', 'grant_type=client_credentials&scope=org%3Aa&scope=org%3Aa', 'scope is repeated; send each parameter once'],
    ['a repeated parameter, spelled with escapes the second time', 'grant_type=client_credentials&client_id=a&client%5Fid=b', 'client_id is repeated; send each parameter once'],
    ['an empty parameter', 'grant_type=client_credentials&client_secret=', 'client_secret is empty'],
    ['a leading "?", which is no part of a form (the first name is "?grant_type")', '?grant_type=client_credentials', 'grant_type is required (client_credentials)'],
    ['bytes that are not UTF-8', Buffer.from([0x67, 0x72, 0x61, 0x6e, 0x74, 0x5f, 0x74, 0x79, 0x70, 0x65, 0x3d, 0xff, 0xfe]), 'The form is not valid UTF-8 (RFC 6749 Appendix B)'],
    ['more parameters than any client sends', `grant_type=client_credentials${'&x=1'.repeat(MAX_FORM_PARAMETERS)}`, `The form has more than ${MAX_FORM_PARAMETERS} parameters`],
  ])('refuses %s with invalid_request', (_name, body, description) => {
    expect(refusal(body)).toEqual({ error: 'invalid_request', description });
  });
});

describe('requestedOrg', () => {
  it('reads the org from org_id or the org: scope, and refuses two orgs', () => {
    expect(requestedOrg({ scope: 'org:org_a', orgId: undefined })).toBe('org_a');
    expect(requestedOrg({ scope: undefined, orgId: 'org_b' })).toBe('org_b');
    expect(requestedOrg({ scope: undefined, orgId: undefined })).toBeUndefined();
    expect(refusalOf(() => requestedOrg({ scope: 'org:a org:b', orgId: undefined })).error).toBe('invalid_scope');
    expect(refusalOf(() => requestedOrg({ scope: 'org:a', orgId: 'b' })).error).toBe('invalid_request');
    expect(refusalOf(() => requestedOrg({ scope: 'org:', orgId: undefined })).error).toBe('invalid_scope');
    expect(refusalOf(() => requestedOrg({ scope: 'org:a\nb', orgId: undefined })).error).toBe('invalid_scope');
    expect(requestedOrg({ scope: 'org:a', orgId: 'a' })).toBe('a');
    expect(requestedOrg({ scope: ' org:a ', orgId: undefined })).toBe('a');
  });
});

function refusalOf(run: () => unknown): { error: string; description: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof OAuthError) return { error: error.error, description: error.description };
    throw error;
  }
  throw new Error('did not refuse');
}
