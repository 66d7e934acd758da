import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { withTimeout } from '../../../src/rate-limit/with-timeout.js';

/** Blocks the event loop, as a burst of signing does on a busy machine. */
function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

describe('withTimeout', () => {
  it('rejects with StoreTimeoutError when nothing answers in time', async () => {
    await expect(withTimeout(new Promise(() => undefined), 20)).rejects.toMatchObject({ name: 'StoreTimeoutError', message: 'no answer within 20 ms' });
  });

  it('resolves like the work when it answers in time', async () => {
    await expect(withTimeout(Promise.resolve('ok'), 20)).resolves.toBe('ok');
  });

  it('lets a reply that already sits in the socket win over a timer that fell due while the loop was busy', async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const accepted = once(server, 'connection') as Promise<[Socket]>;
    const client = connect((server.address() as { port: number }).port, '127.0.0.1');
    await once(client, 'connect');
    const [peer] = await accepted;
    try {
      const reply = new Promise<string>((resolve) => client.once('data', (chunk) => resolve(String(chunk))));
      const bounded = withTimeout(reply, 20);
      peer.write('PONG');
      // The reply reaches the client's socket now; the loop only reads it after this, with the timer long due.
      busyFor(100);
      await expect(bounded).resolves.toBe('PONG');
    } finally {
      client.destroy();
      peer.destroy();
      server.close();
    }
  });
});
