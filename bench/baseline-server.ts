/** The floor of the comparison: Express 5 parsing the same body and answering a fixed 201 document, nothing else. */
import type { AddressInfo } from 'node:net';
import express from 'express';

// Same shape and roughly the same size as tokenvend's 201 body with an ES256 token.
const BODY = {
  token: `eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.${'x'.repeat(140)}.${'y'.repeat(86)}`,
  tokenType: 'Bearer',
  expiresIn: 900,
  expiresAt: '2030-01-01T00:15:00.000Z',
  orgId: 'org_bench',
};

const app = express();
app.post('/tokens', express.json(), function respondFixed(_req, res) {
  res.status(201).json(BODY);
});

const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ event: 'listening', port })}\n`);
});
