import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEvent, SampleEvent } from '../core/events.ts';
import { Histogram } from '../core/histogram.ts';
import { VersionProbes } from './probes.ts';
import { Attribution, attributionMode } from './traffic.ts';

const win = (t: number, o: { version?: string; requests?: number; failures?: number } = {}): JournalEvent =>
  ({ type: 'window', step: 'load', start: t, end: t + 1000, ...(o.version ? { labels: { version: o.version } } : {}), requests: o.requests ?? 10, failures: o.failures ?? 0, latency: new Histogram().toJSON(), v: 1, seq: 0, t, wall: '' }) as JournalEvent;

describe('which version served a request: choosing the attribution', () => {
  it('auto: the header as soon as a response carries a version', () => {
    const a = new Attribution();
    a.observe(win(0));
    a.observe(win(1000, { version: 'v1' }));
    expect(attributionMode('auto', a, 1500)).toBe('response-header');
  });

  it('auto: per-version Services when successful responses keep coming without a version (20 over 3 s)', () => {
    const a = new Attribution();
    a.observe(win(0));
    expect(attributionMode('auto', a, 2000)).toBeUndefined(); // 10 responses, 2 s: cannot tell yet
    a.observe(win(1000));
    a.observe(win(2000));
    expect(attributionMode('auto', a, 3000)).toBe('per-version-services');
  });

  it('auto: failures without a version (a router with no route yet) are no evidence either way', () => {
    const a = new Attribution();
    for (let t = 0; t < 5000; t += 1000) a.observe(win(t, { failures: 10 }));
    expect(attributionMode('auto', a, 5000)).toBeUndefined();
    a.observe(win(5000));
    a.resetUnversioned();
    expect(a.unversioned).toEqual({ requests: 0, first: undefined });
  });

  it('header and services are taken as asked', () => {
    const a = new Attribution();
    expect(attributionMode('header', a, 0)).toBe('response-header');
    expect(attributionMode('services', a, 0)).toBe('per-version-services');
  });

  it("with per-version Services only the step's own probe samples are attributed", () => {
    const a = new Attribution({ stable: 'stable', canary: 'canary' }, { onlyStep: 'canary' });
    a.lock();
    const sample = (t: number, version: string, ok = true): JournalEvent => ({ type: 'sample', step: 'canary', t, ok, status: ok ? 200 : 500, ms: 3, labels: { version, attribution: 'per-version-service' }, v: 1, seq: 0, wall: '' }) as JournalEvent;
    a.observe(win(0, { version: 'v1' }));
    a.observe(sample(100, 'stable'));
    a.observe(sample(200, 'canary', false));
    expect(a.drain().map((s) => [s.role, s.second.failures])).toEqual([['stable', 0], ['canary', 1]]);
    expect(a.t0).toBe(200);
  });
});

describe('per-version probes', () => {
  let server: Server;
  let base = '';
  const seen: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.url!);
      res.statusCode = req.url!.startsWith('/bad') ? 500 : 200;
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('journal a sample per request, labelled with the role, failures with their cause; bounded and stoppable', async () => {
    const events: SampleEvent[] = [];
    const t0 = performance.now();
    const clock = { now: () => performance.now() - t0 };
    const ctx = { journal: { append: (e: SampleEvent) => void events.push(e) }, clock, deadline: 60_000, step: { id: 'canary' } } as never;
    const p = new VersionProbes(ctx, { rate: 50, timeoutMs: 1000 });
    p.start('stable', `${base}/good`);
    p.start('canary', `${base}/bad`);
    // Wait (bounded) for a few answers of each, not for a time: no timing assertion.
    const count = (v: string) => events.filter((e) => e.labels?.version === v).length;
    for (let i = 0; i < 500 && (count('stable') < 4 || count('canary') < 4); i++) await new Promise((r) => setTimeout(r, 20));
    await p.stop();
    const n = events.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(events.length).toBe(n); // stopped: nothing more
    const stable = events.filter((e) => e.labels?.version === 'stable');
    const canary = events.filter((e) => e.labels?.version === 'canary');
    expect(stable.length).toBeGreaterThanOrEqual(4);
    expect(canary.length).toBeGreaterThanOrEqual(4);
    expect(stable.every((e) => e.ok && e.status === 200 && e.labels?.attribution === 'per-version-service')).toBe(true);
    expect(canary.every((e) => !e.ok && e.status === 500 && e.cause === 'http-5xx')).toBe(true);
    // A deadline already passed: no request at all.
    const none = new VersionProbes({ ...(ctx as object), deadline: 0 } as never, { rate: 50, timeoutMs: 1000 });
    const before = seen.length;
    none.start('stable', `${base}/good`);
    await none.stop();
    expect(seen.length).toBe(before);
  });
});
