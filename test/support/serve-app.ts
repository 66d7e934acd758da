/** Serves an app the way the service does (createAppServer), on a free loopback port. */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createAppServer, type AppServerOptions } from '../../src/http/create-app-server.js';

export interface ServedApp {
  readonly server: Server;
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  /** Drops kept-alive connections and resolves once the server has closed. */
  close(): Promise<void>;
}

export async function serveOnLoopback(app: Express, options: AppServerOptions = {}): Promise<ServedApp> {
  const server = createAppServer(app, options).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    server,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
