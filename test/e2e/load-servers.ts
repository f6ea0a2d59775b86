/**
 * Small HTTP services on 127.0.0.1 for the load tests, each with one known behaviour, so that
 * what k6 measures through Gauntlet can be checked against what the server did.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestServer {
  url: string;
  /** Requests the server answered. */
  served(): number;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

async function serve(handler: Handler): Promise<TestServer> {
  let n = 0;
  const server: Server = createServer((req, res) => handler(req, res, ++n));
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    served: () => n,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

const reply = (res: ServerResponse, status: number, version = 'v1') => {
  res.writeHead(status, { 'content-type': 'text/plain', 'x-version': version });
  res.end(status < 400 ? 'ok\n' : 'fail\n');
};

/** Every 20th request fails with 500: exactly 5%. Odd requests say v1, even ones v2. */
export const failingServer = () => serve((_req, res, n) => reply(res, n % 20 === 0 ? 500 : 200, n % 2 ? 'v1' : 'v2'));

/** Answers every request after `ms`. */
export const slowServer = (ms: number) => serve((_req, res) => void setTimeout(() => reply(res, 200), ms));

/**
 * One request at a time, `serviceMs` each (capacity 1000/serviceMs req/s): beyond capacity the
 * queue, and so latency, grows without bound, like a saturated service.
 */
export function saturatingServer(serviceMs: number): Promise<TestServer> {
  let busyUntil = 0;
  return serve((_req, res) => {
    const now = performance.now();
    busyUntil = Math.max(now, busyUntil) + serviceMs;
    setTimeout(() => reply(res, 200), busyUntil - now);
  });
}

/** A port with nothing listening on it. */
export async function deadPort(): Promise<string> {
  const s = await serve(() => {});
  await s.close();
  return s.url;
}

/** Answers every request with `status`. */
export const statusServer = (status: number) => serve((_req, res) => reply(res, status));
