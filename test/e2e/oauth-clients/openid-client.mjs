// Gets a tokenvend token with openid-client: discovery from the issuer, then the client credentials grant.
// Run by test/e2e/oauth-clients.test.ts; the README's Node snippet is this program.
// TOKENVEND_AUTH is client_secret_post, client_secret_basic or private_key_jwt.
import { readFileSync } from 'node:fs';
import { importPKCS8 } from 'jose';
import * as client from 'openid-client';

const auth = {
  client_secret_post: () => client.ClientSecretPost(process.env.TOKENVEND_CLIENT_SECRET),
  client_secret_basic: () => client.ClientSecretBasic(process.env.TOKENVEND_CLIENT_SECRET),
  private_key_jwt: async () => client.PrivateKeyJwt({ key: await importPKCS8(readFileSync(process.env.TOKENVEND_PRIVATE_KEY_FILE, 'utf8'), 'ES256'), kid: process.env.TOKENVEND_KEY_ID }),
}[process.env.TOKENVEND_AUTH];

const config = await client.discovery(new URL(process.env.TOKENVEND_URL), process.env.TOKENVEND_CLIENT_ID, undefined, await auth(), {
  // Only for the test's http://127.0.0.1 issuer; drop it for an https one.
  execute: process.env.TOKENVEND_URL.startsWith('http://127.0.0.1') ? [client.allowInsecureRequests] : [],
});
try {
  const { access_token } = await client.clientCredentialsGrant(config, { scope: `org:${process.env.TOKENVEND_ORG}` });
  console.log(access_token);
} catch (error) {
  // A refusal is a ResponseBodyError carrying the RFC 6749 error code.
  console.error(`refused: ${error.error ?? error.message}`);
  process.exit(1);
}
