/** The seed project's way: jsonwebtoken signing ES256 synchronously from a PEM string, no auth, no audit. */
import type { AddressInfo } from 'node:net';
import express from 'express';
import jwt from 'jsonwebtoken';

const PRIVATE_KEY = process.env.PRIVATE_KEY;
if (!PRIVATE_KEY) throw new Error('seed-server: PRIVATE_KEY is required');

const app = express();
app.post('/tokens', express.json(), function signWithJsonwebtoken(req, res) {
  const { orgId } = req.body as { orgId: string };
  const token = jwt.sign({ orgId }, PRIVATE_KEY, { algorithm: 'ES256', expiresIn: '1h' });
  res.status(201).json({ token, tokenType: 'Bearer', expiresIn: 3600, expiresAt: new Date(Date.now() + 3_600_000).toISOString(), orgId });
});

const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ event: 'listening', port })}\n`);
});
