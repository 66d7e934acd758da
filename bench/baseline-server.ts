/**
 * The floor of the comparison: Express 5 parsing the same body and answering a fixed 201 document,
 * nothing else. With BASELINE_SHAPED=1 it is served the way tokenvend is (src/http/create-app-server.ts),
 * which shows what that alone is worth to any Express app.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createAppServer } from '../src/http/create-app-server.js';

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

const server = (process.env.BASELINE_SHAPED === '1' ? createAppServer(app) : app).listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ event: 'listening', port })}\n`);
});
