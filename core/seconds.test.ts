import { describe, expect, it } from 'vitest';
import { perSecondSeries } from './analysis.ts';
import type { JournalEvent, NewEvent } from './events.ts';
import { Histogram } from './histogram.ts';
import { seconds } from '../loadtest/verdict.ts';

let seq = 0;
const ev = (t: number, e: NewEvent): JournalEvent => ({ v: 1, seq: seq++, wall: '', ...e, t }) as JournalEvent;

describe('the per-second aggregator', () => {
  it('charts and the surge/capacity verdicts see the same seconds', () => {
    const h = (ms: number) => {
      const x = new Histogram();
      for (let i = 0; i < 10; i++) x.record(ms + i);
      return x.toJSON();
    };
    const w = (start: number, version: string, ms: number, failures: number) =>
      ev(start + 1000, { type: 'window', step: 'load', start, end: start + 1000, labels: { version, stage: 'hold' }, requests: 10 + failures, failures, latency: h(ms), targetRate: 10 });
    const windows = [w(1500, 'v1', 10, 0), w(1500, 'v2', 200, 5), w(2500, 'v1', 20, 1)];
    const chart = perSecondSeries(windows);
    const verdict = seconds(windows.filter((e) => e.type === 'window'));
    expect(chart.map((p) => [p.s, p.requests, p.failures, p.p99, p.targetRate])).toEqual(verdict.map((s) => [s.s, s.requests, s.failures, s.latency.quantile(0.99), s.target]));
    expect(verdict.map((s) => s.start)).toEqual([1500, 2500]);
    expect(chart[0]).toMatchObject({ s: 1, requests: 25, failures: 5, targetRate: 20 });
  });
});
