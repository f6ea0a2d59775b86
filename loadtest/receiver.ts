/**
 * The remote-write receiver k6's `experimental-prometheus-rw` output pushes to: an HTTP server
 * on an ephemeral 127.0.0.1 port, one per k6 run, so parallel runs never share a port.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeRemoteWrite, type TimeSeries } from './remote-write.ts';

export interface Receiver {
  /** The URL to hand k6 (K6_PROMETHEUS_RW_SERVER_URL). */
  url: string;
  /** Pushes accepted so far. */
  pushes(): number;
  /** Stop accepting; resolves once every push in flight was handled. */
  close(): Promise<void>;
}

export interface ReceiverHandlers {
  onPush: (series: TimeSeries[], receivedAt: number) => void;
  /** A body that could not be decoded (answered 400: k6 logs it and goes on; the next cumulative push recovers). */
  onError?: (e: Error) => void;
}

export function startReceiver(h: ReceiverHandlers): Promise<Receiver> {
  let pushes = 0;
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const receivedAt = Date.now();
      let series: TimeSeries[];
      try {
        series = decodeRemoteWrite(Buffer.concat(chunks));
      } catch (e) {
        h.onError?.(e as Error);
        res.writeHead(400, { 'content-type': 'text/plain' }).end(`${(e as Error).message}\n`);
        return;
      }
      pushes++;
      res.writeHead(204).end();
      h.onPush(series, receivedAt);
    });
  });
  server.keepAliveTimeout = 10_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}/api/v1/write`,
        pushes: () => pushes,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}
