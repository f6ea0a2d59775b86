import { describe, expect, it } from 'vitest';
import type { WindowEvent } from '../core/events.ts';
import { Histogram } from '../core/histogram.ts';
import { profileSchema, stagesOf } from './profiles.ts';
import { BreachWatcher, capacityVerdict, surgeMultipleHeld, surgeVerdict } from './verdict.ts';

/** One fake second of load: `n` requests at `ms` each, `fail` of them failed. */
function win(sec: number, stage: string, n: number, ms: number, o: { fail?: number; target?: number; dropped?: number } = {}): WindowEvent {
  const h = new Histogram();
  h.record(ms, n);
  return {
    v: 1, seq: sec, t: sec * 1000 + 1500, wall: '', type: 'window', step: 'load',
    start: sec * 1000, end: sec * 1000 + 1000, labels: { stage },
    requests: n, failures: o.fail ?? 0, latency: h.toJSON(), targetRate: o.target ?? n, ...(o.dropped ? { dropped: o.dropped } : {}),
  };
}

const surge = profileSchema.parse({ kind: 'surge', baseline: 100, warmup: '2s', rampUp: '4s', hold: '4s', rampDown: '0s' });
const stages = stagesOf(surge);

describe('surge verdict', () => {
  it('held: every second within the SLO, the hold at 3x', () => {
    const w = [win(0, 'baseline', 100, 10), win(1, 'baseline', 100, 10), ...[150, 200, 250, 300].map((r, i) => win(2 + i, 'ramp-up', r, 12)), ...[6, 7, 8, 9].map((s) => win(s, 'hold', 300, 15))];
    const v = surgeVerdict(w, stages, 100, { p99Ms: 100, maxErrorRate: 0.01 });
    expect(v.verdict).toBe('held');
    expect(v.summary).toBe('held 3.0x for 4s: p99 15 ms, errors 0%');
    // Headroom at the peak: the p99 used 15 of its 100 ms.
    expect(v.headroom?.p99).toBeCloseTo(0.85, 1);
    expect(v.headroom?.errors).toBe(1);
  });

  it('broke: names the multiple and the time of the first lasting breach', () => {
    const w = [win(0, 'baseline', 100, 10), win(1, 'baseline', 100, 10), win(2, 'ramp-up', 150, 10), win(3, 'ramp-up', 200, 400), win(4, 'ramp-up', 250, 900), win(5, 'ramp-up', 300, 2000), win(6, 'hold', 300, 2000)];
    const v = surgeVerdict(w, stages, 100, { p99Ms: 250, maxErrorRate: 0.01 });
    expect(v.verdict).toBe('broke');
    expect(v.breach?.multiple).toBe(2);
    expect(v.summary).toMatch(/^broke at 2\.0x: first SLO breach at t=3s \(p99 40\d(\.\d)? ms > 250 ms\)$/);
    // A broken surge is a measured 0 for its gate (it fails), not a gate without data.
    expect(surgeMultipleHeld(v)).toBe(0);
  });

  it('two slow seconds are not a breach', () => {
    const w = [win(0, 'baseline', 100, 10), win(1, 'baseline', 100, 10), win(2, 'ramp-up', 100, 900), win(3, 'ramp-up', 100, 900), ...[4, 5].map((s) => win(s, 'ramp-up', 200, 10)), ...[6, 7, 8, 9].map((s) => win(s, 'hold', 300, 10))];
    expect(surgeVerdict(w, stages, 100, { p99Ms: 100, maxErrorRate: 0.01 }).verdict).toBe('held');
  });

  it('a generator that fell short is inconclusive, never held', () => {
    const w = [win(0, 'baseline', 100, 10), ...[6, 7, 8, 9].map((s) => win(s, 'hold', 200, 10, { target: 300, dropped: 100 }))];
    const v = surgeVerdict(w, stages, 100, { p99Ms: 100, maxErrorRate: 0.01 });
    expect(v.verdict).toBe('inconclusive');
    expect(v.summary).toContain('dropped');
  });
});

describe('capacity verdict', () => {
  const steps = stagesOf(profileSchema.parse({ kind: 'steps', from: 100, step: 100, steps: 4, stepDuration: '2s' }));
  it('reports the highest step held and where it broke', () => {
    const w = [win(0, 'step-1', 100, 5), win(1, 'step-1', 100, 5), win(2, 'step-2', 200, 5), win(3, 'step-2', 200, 5), win(4, 'step-3', 300, 5, { fail: 30 }), win(5, 'step-3', 300, 5, { fail: 40 }), win(6, 'step-3', 300, 5, { fail: 40 })];
    const v = capacityVerdict(w, steps, { p99Ms: 100, maxErrorRate: 0.05 });
    expect(v).toMatchObject({ verdict: 'found', highestSustainedRps: 200, brokeAt: { rate: 300 } });
    expect(v.summary).toBe('highest sustained rate 200 req/s; broke at 300 req/s (errors 10% > 5%)');
  });
});

describe('live breach watcher', () => {
  it('fires once, after warm-up, when the breach lasted three seconds', () => {
    const seen: number[] = [];
    const watch = new BreachWatcher({ p99Ms: 100, maxErrorRate: 0.01 }, (b) => seen.push(b.at));
    const secs = [[0, 900], [1, 900], [2, 10], [3, 500], [4, 500], [5, 10], [6, 500], [7, 500], [8, 500], [9, 500], [10, 10]] as const;
    for (const [s, ms] of secs) watch.add(win(s, 'x', 50, ms));
    expect(seen).toEqual([6000]);
  });
});
