import { describe, expect, it } from 'vitest';
import { Histogram } from '../../core/histogram.ts';
import type { Served } from '../traffic.ts';
import { answer, serveWebhooks } from './webhooks.ts';

const s = (role: 'stable' | 'canary', start: number, requests: number, failures: number): Served => ({
  role, version: role === 'stable' ? 'v1' : 'v2', start, end: start + 1000, second: { requests, failures, latency: new Histogram() },
});
const limits = { errorRate: 0.01, windowMs: 10_000, minRequests: 10 };

describe('Flagger webhook answers', () => {
  it('holds confirm-rollout until stable traffic is seen, then confirms', () => {
    expect(answer('confirm-rollout', [], 5000, limits).status).toBe(423);
    expect(answer('confirm-rollout', [s('stable', 1000, 50, 0)], 5000, limits).status).toBe(200);
  });

  it('fails rollout when the canary errs above the limit in the last interval, naming the numbers', () => {
    const served = [s('stable', 20_000, 100, 0), s('canary', 20_000, 40, 12)];
    const a = answer('rollout', served, 21_000, limits);
    expect(a.status).toBe(500);
    expect(a.reason).toContain('30.00 %');
    expect(a.reason).toContain('12/40');
  });

  it('passes rollout for a clean canary and for too few requests; old windows are not judged', () => {
    expect(answer('rollout', [s('canary', 20_000, 40, 0)], 21_000, limits).status).toBe(200);
    expect(answer('rollout', [s('canary', 20_000, 5, 5)], 21_000, limits).status).toBe(200);
    // 12 failures 30 s ago are outside a 10 s interval.
    expect(answer('rollout', [s('canary', 0, 40, 12), s('canary', 29_000, 40, 0)], 31_000, limits).status).toBe(200);
  });

  it('serves the answers over HTTP with the status Flagger counts, and reports each call', async () => {
    const calls: string[] = [];
    const server = await serveWebhooks('127.0.0.1', (type) => (type === 'rollout' ? { status: 500, reason: 'bad', requests: 1, failures: 1 } : { status: 200, reason: 'ok', requests: 0, failures: 0 }), (type, body) => calls.push(`${type}:${(body as { phase: string }).phase}`));
    try {
      const post = (path: string) => fetch(`${server.url}/${path}`, { method: 'POST', body: JSON.stringify({ name: 'demo', namespace: 'ns', phase: 'Progressing' }) });
      expect((await post('rollout')).status).toBe(500);
      expect((await post('pre-rollout')).status).toBe(200);
      expect((await post('nope')).status).toBe(404);
      expect(calls).toEqual(['rollout:Progressing', 'pre-rollout:Progressing']);
    } finally {
      await server.close();
    }
  });
});
