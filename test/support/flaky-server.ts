/**
 * A real HTTP server on loopback for end-to-end tests: answers 200 with an X-Version header, and
 * fails (HTTP 503) while "broken". POST /control/break and /control/heal flip it, so a scenario's
 * fault step can break it for a known window.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FlakyServer {
  url: string;
  port: number;
  broken: boolean;
  /** Wall-clock ms of each break/heal, to compare with the journal. */
  flips: Array<{ broken: boolean; at: number }>;
  requests: number;
  close(): Promise<void>;
}

export async function startFlakyServer(version = 'v1'): Promise<FlakyServer> {
  const state: Omit<FlakyServer, 'url' | 'port' | 'close'> = { broken: false, flips: [], requests: 0 };
  const server: Server = createServer((req, res) => {
    if (req.method === 'POST' && req.url?.startsWith('/control/')) {
      state.broken = req.url === '/control/break';
      state.flips.push({ broken: state.broken, at: Date.now() });
      res.writeHead(204).end();
      return;
    }
    state.requests++;
    res.setHeader('X-Version', version);
    if (state.broken) res.writeHead(503).end('broken\n');
    else res.writeHead(200, { 'content-type': 'text/plain' }).end(`ok ${version}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }) as FlakyServer;
}
