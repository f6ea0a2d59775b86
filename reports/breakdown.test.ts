import { describe, expect, it } from 'vitest';
import { aggregate, faultWindows, perSecondSeries, PHASES, type Selection } from '../core/analysis.ts';
import { breakdown } from './breakdown.ts';
import { syntheticJournal } from './synthetic.ts';

describe('breakdown', () => {
  const events = syntheticJournal({ seconds: 90 });
  const windows = faultWindows(events);
  const b = breakdown(events, windows, 'version');

  const same = (sel: Selection, got: { requests: number; failures: number; errorRate?: number; p50?: number; p99?: number; dropped: number; rps?: number }) => {
    const a = aggregate(events, sel, windows);
    expect(got.rps).toBeCloseTo(a.requests / a.seconds, 9);
    expect({ requests: got.requests, failures: got.failures, errorRate: got.errorRate, p50: got.p50, p99: got.p99, dropped: got.dropped }).toEqual({
      requests: a.requests,
      failures: a.failures,
      errorRate: a.errorRate,
      p50: a.latency.quantile(0.5),
      p99: a.latency.quantile(0.99),
      dropped: a.dropped,
    });
  };

  it('gives the same numbers as core aggregate for every row', () => {
    same({}, b.totals);
    for (const p of b.phases) same({ phase: p.phase }, p);
    expect(b.phases.map((p) => p.phase)).toEqual([...PHASES]);
    for (const l of b.labels) for (const row of l.rows) same({ where: { [l.label]: row.value } }, row);
    expect(b.labels[0]!.rows.map((r) => r.value)).toEqual(['v1', 'v2']);
  });

  it('matches core perSecondSeries per version', () => {
    for (const ls of b.labelSeries) {
      expect(ls.points).toEqual(perSecondSeries(events, { where: { version: ls.value } }).map(({ s, requests, failures }) => ({ s, requests, failures })));
    }
    expect(b.labelSeries).toHaveLength(2);
  });

  it('leaves out labels with too many values', () => {
    const many = syntheticJournal({ seconds: 30 }).map((e) => (e.type === 'sample' ? { ...e, labels: { ...e.labels, pod: `pod-${e.seq}` } } : e));
    expect(breakdown(many, faultWindows(many), 'version').labels.map((l) => l.label)).toEqual(['version']);
  });
});
