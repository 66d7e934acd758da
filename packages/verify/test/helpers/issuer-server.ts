/** A stand-in tokenvend on 127.0.0.1:0 serving a JWKS and an OpenID configuration the test can change. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';

export interface IssuerServer {
  /** `http://127.0.0.1:<port>`; also the issuer in the default discovery document. */
  readonly url: string;
  readonly jwksUri: string;
  /** Served at /.well-known/jwks.json; mutate to rotate. */
  readonly keys: JWK[];
  /** Served at /.well-known/openid-configuration; replace to lie. */
  discovery: Record<string, unknown>;
  /** Status each route answers with; anything but 200 sends a bare error. */
  status: { jwks: number; discovery: number };
  /** How many times each route was requested. */
  readonly hits: { jwks: number; discovery: number };
  close(): Promise<void>;
}

export async function startIssuerServer(keys: JWK[] = []): Promise<IssuerServer> {
  let issuer: IssuerServer | undefined;
  const server = createServer((req, res) => {
    const route = req.url === '/.well-known/jwks.json' ? 'jwks' : req.url === '/.well-known/openid-configuration' ? 'discovery' : undefined;
    if (!issuer || !route) return void res.writeHead(404).end();
    issuer.hits[route] += 1;
    if (issuer.status[route] !== 200) return void res.writeHead(issuer.status[route]).end('boom');
    const body = route === 'jwks' ? { keys: issuer.keys } : issuer.discovery;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const jwksUri = `${url}/.well-known/jwks.json`;
  issuer = {
    url,
    jwksUri,
    keys,
    discovery: { issuer: url, jwks_uri: jwksUri, id_token_signing_alg_values_supported: ['ES256', 'RS256', 'EdDSA'] },
    status: { jwks: 200, discovery: 200 },
    hits: { jwks: 0, discovery: 0 },
    close: () => closeServer(server),
  };
  return issuer;
}

/** A URL on which nothing listens: a port that was just bound and released. */
export async function deadUrl(path = '/.well-known/jwks.json'): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await closeServer(server);
  return `http://127.0.0.1:${port}${path}`;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
}
