/**
 * Gauntlet's answers to Flagger's webhooks during a `flagger` release, from the run's live
 * per-version traffic. Flagger POSTs {name, namespace, phase, checksum, metadata}; any answer
 * other than 2xx (or no answer within the webhook's timeout) is a failed check, as its docs
 * define. Decisions are pure (`answer`); the server is a thin shell around them.
 *
 * - confirm-rollout: hold the rollout until stable's traffic is seen (Flagger would otherwise
 *   start judging a canary nobody sends requests to, and its analysis stalls on "no values").
 * - pre-rollout: stable itself must be healthy before traffic moves.
 * - rollout (every interval): the canary's error rate over the last interval within the limit.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Served } from '../traffic.ts';

export type WebhookType = 'confirm-rollout' | 'pre-rollout' | 'rollout';
export const WEBHOOK_TYPES: readonly WebhookType[] = ['confirm-rollout', 'pre-rollout', 'rollout'];

export interface WebhookLimits {
  /** Largest acceptable error rate (0..1). */
  errorRate: number;
  /** Window judged by `rollout` and `pre-rollout`, ms (the analysis interval). */
  windowMs: number;
  /** Fewer requests than this in the window: not enough evidence, the check passes (hold is Flagger's). */
  minRequests: number;
}

export interface Answer {
  status: number;
  reason: string;
  requests: number;
  failures: number;
}

/** What Gauntlet says to one webhook call, given what was served in the window before `now`. */
export function answer(type: WebhookType, served: readonly Served[], now: number, limits: WebhookLimits): Answer {
  const inWindow = served.filter((s) => s.end > now - limits.windowMs && s.start <= now);
  const role = type === 'rollout' ? 'canary' : 'stable';
  const mine = inWindow.filter((s) => s.role === role);
  const requests = mine.reduce((a, s) => a + s.second.requests, 0);
  const failures = mine.reduce((a, s) => a + s.second.failures, 0);
  const rate = requests ? failures / requests : 0;
  const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
  if (type === 'confirm-rollout') {
    const anyStable = served.some((s) => s.role === 'stable');
    return anyStable
      ? { status: 200, reason: 'stable traffic is flowing', requests, failures }
      : { status: 423, reason: 'waiting for traffic: no response from stable yet', requests, failures };
  }
  if (requests < limits.minRequests) {
    return { status: 200, reason: `${requests} ${role} requests in the last ${limits.windowMs / 1000} s (< ${limits.minRequests}): not judged`, requests, failures };
  }
  if (rate > limits.errorRate) {
    return { status: 500, reason: `${role} error rate ${pct(rate)} > ${pct(limits.errorRate)} (${failures}/${requests} in the last ${limits.windowMs / 1000} s)`, requests, failures };
  }
  return { status: 200, reason: `${role} error rate ${pct(rate)} <= ${pct(limits.errorRate)} (${failures}/${requests})`, requests, failures };
}

export interface WebhookServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serve the webhooks on `host` (an address Flagger reaches: in the lab, the host's bridge
 * address). `onCall` sees every call and its answer (the journal records them).
 */
export async function serveWebhooks(
  host: string,
  decide: (type: WebhookType) => Answer,
  onCall: (type: WebhookType, body: unknown, a: Answer) => void,
): Promise<WebhookServer> {
  const server: Server = createServer((req, res) => {
    const type = (req.url ?? '').replace(/^\/+/, '').split('?')[0] as WebhookType;
    let body = '';
    req.on('data', (c: Buffer) => {
      if (body.length < 65_536) body += c.toString('utf8');
    });
    req.on('end', () => {
      if (req.method !== 'POST' || !WEBHOOK_TYPES.includes(type)) {
        res.writeHead(404).end('unknown webhook\n');
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(body || '{}');
      } catch {
        parsed = { unparsed: body.slice(0, 200) };
      }
      const a = decide(type);
      onCall(type, parsed, a);
      res.writeHead(a.status, { 'content-type': 'text/plain' }).end(`${a.reason}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
