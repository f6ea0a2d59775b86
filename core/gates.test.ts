import { describe, expect, it } from 'vitest';
import type { JournalEvent, NewEvent } from './events.ts';
import { describeThreshold, evaluateGate, evaluateGates, formatValue, runVerdict, type GateSpec } from './gates.ts';
import { Histogram } from './histogram.ts';

let seq = 0;
const ev = (t: number, e: NewEvent): JournalEvent => ({ v: 1, seq: seq++, wall: '', ...e, t }) as JournalEvent;
const sample = (t: number, ok: boolean, ms: number, version = 'v1') => ev(t, { type: 'sample', step: 'probe', ok, status: ok ? 200 : 500, ms, labels: { version } });

/** 10 s of samples at 10 Hz; a fault from 3 s to 6 s during which every other request fails. */
function journal(): JournalEvent[] {
  const out: JournalEvent[] = [ev(0, { type: 'run.start', runId: 'r', scenario: {}, provenance: {} as never, epochMs: 0 })];
  for (let t = 0; t < 10_000; t += 100) {
    if (t === 3000) out.push(ev(t, { type: 'fault.start', step: 'f', kind: 'command', target: 'x' }));
    if (t === 6000) out.push(ev(t, { type: 'fault.end', step: 'f' }));
    const during = t >= 3000 && t < 6000;
    out.push(sample(t + 1, !(during && (t / 100) % 2 === 0), during ? 200 : 10, t < 5000 ? 'v1' : 'v2'));
  }
  out.push(ev(10_000, { type: 'run.end', status: 'completed' }));
  return out;
}

const gate = (g: Partial<GateSpec>): GateSpec => ({ name: 'g', metric: 'error_rate', ...g });

describe('gates', () => {
  const events = journal();

  it('computes error rate per phase from raw samples', () => {
    expect(evaluateGate(events, gate({ phase: 'before', max: 0 })).observed).toBe(0);
    expect(evaluateGate(events, gate({ phase: 'during', max: 0.6 })).observed).toBeCloseTo(0.5, 5);
    expect(evaluateGate(events, gate({ phase: 'after', max: 0 })).verdict).toBe('pass');
    expect(evaluateGate(events, gate({ max: 0.1 }))).toMatchObject({ verdict: 'fail', samples: 100 });
  });

  it('computes latency percentiles per phase and per label', () => {
    expect(evaluateGate(events, gate({ metric: 'latency_p50', phase: 'during', max: 300 })).observed).toBeCloseTo(200, 0);
    expect(evaluateGate(events, gate({ metric: 'latency_p99', phase: 'before', max: 300 })).observed).toBeCloseTo(10, 0);
    const v2 = evaluateGate(events, gate({ where: { version: 'v2' }, max: 1 }));
    expect(v2.samples).toBe(50);
    expect(v2.observed).toBeCloseTo(5 / 50, 5);
  });

  it('reports no-data, never pass, for a selection that matched nothing', () => {
    const r = evaluateGate(events, gate({ where: { version: 'v9' }, max: 1 }));
    expect(r.verdict).toBe('no-data');
    expect(evaluateGates(events, [gate({ where: { version: 'v9' }, max: 1 })]).verdict).toBe('inconclusive');
  });

  it('a run that measured nothing is inconclusive even with no gates', () => {
    const empty = [ev(0, { type: 'run.start', runId: 'r', scenario: {}, provenance: {} as never, epochMs: 0 }), ev(1, { type: 'run.end', status: 'completed' })];
    const v = evaluateGates(empty, []);
    expect(v.verdict).toBe('inconclusive');
    expect(v.reasons).toContain('nothing was measured');
  });

  it('gates on a figure a step recorded, worst value first', () => {
    const withFig = [...events, ev(7000, { type: 'figure', step: 'canary', name: 'rollbackSeconds', value: 4.2, unit: 's' }), ev(8000, { type: 'figure', step: 'canary', name: 'rollbackSeconds', value: 9.5, unit: 's' })];
    expect(evaluateGate(withFig, gate({ metric: 'rollbackSeconds', max: 10 }))).toMatchObject({ verdict: 'pass', observed: 9.5 });
    expect(evaluateGate(withFig, gate({ metric: 'rollbackSeconds', max: 5 })).verdict).toBe('fail');
  });

  it('merges load windows by histogram and flags a load generator that fell short', () => {
    const h = new Histogram();
    for (let i = 1; i <= 100; i++) h.record(i);
    const win = (s: number, dropped: number) => ev(s * 1000 + 1000, { type: 'window', step: 'load', start: s * 1000, end: s * 1000 + 1000, requests: 100, failures: 1, latency: h.toJSON(), targetRate: 110, dropped });
    const load = [win(0, 10), win(1, 10)];
    expect(evaluateGate(load, gate({ metric: 'latency_p99', max: 1000 })).observed).toBeCloseTo(99, 0);
    expect(evaluateGate(load, gate({ metric: 'rps', min: 1 })).observed).toBe(100);
    const v = evaluateGates(load, [gate({ max: 0.5 })]);
    expect(v.verdict).toBe('inconclusive');
    expect(v.reasons.join()).toMatch(/load generator fell short/);
  });

  it('a failed step or an interrupted run is never a pass', () => {
    const broken = [...events.slice(0, -1), ev(9000, { type: 'step.end', step: 'probe', ok: false, error: 'boom' }), ev(10_000, { type: 'run.end', status: 'interrupted' })];
    expect(evaluateGates(broken, [gate({ phase: 'before', max: 0 })]).verdict).toBe('inconclusive');
  });

  it('a run with no gates judged nothing: inconclusive, and it says so, even when every request failed', () => {
    const allFailed = events.map((e) => (e.type === 'sample' ? { ...e, ok: false, status: 500 } : e));
    const v = runVerdict(allFailed);
    expect(v.verdict).toBe('inconclusive');
    expect(v.reasons.join()).toMatch(/no gates were defined/);
  });

  it('judges by the gate set journaled in run.start, and a journal without run.end is never a pass', () => {
    const withGates = events.map((e) => (e.type === 'run.start' ? { ...e, scenario: { gates: [gate({ phase: 'before', max: 0 })] } } : e));
    expect(runVerdict(withGates).verdict).toBe('pass');
    expect(runVerdict(withGates.filter((e) => e.type !== 'run.end'))).toMatchObject({ verdict: 'inconclusive' });
  });

  it('egress-probe check rows never enter request metrics, only check_failures', () => {
    const check = (t: number, ok: boolean) => ev(t, { type: 'sample', step: 'egress', measures: 'check', ok, status: 0, ms: 0, labels: { workload: 'w' } });
    const mixed = [...events, check(9500, false), check(9501, false), check(9502, true)];
    expect(evaluateGate(mixed, gate({ max: 1 }))).toMatchObject({ observed: evaluateGate(events, gate({ max: 1 })).observed, samples: 100 });
    expect(evaluateGate(mixed, gate({ metric: 'latency_p50', phase: 'after', max: 1000 })).observed).toBeCloseTo(10, 0);
    expect(evaluateGate(mixed, gate({ metric: 'latency_max', max: 1000 })).observed).toBeCloseTo(200, 0);
    expect(evaluateGate(mixed, gate({ metric: 'latency_p50', step: 'egress', max: 1000 })).verdict).toBe('no-data');
    expect(evaluateGate(mixed, gate({ metric: 'check_failures', max: 0 }))).toMatchObject({ verdict: 'fail', observed: 2, samples: 3 });
  });

  it('latency is over successful responses only, and zero successful responses never pass a latency gate', () => {
    const fastFailures = [...events.slice(0, -1), ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => sample(9900 + i, false, 0.5, 'v3')), events.at(-1)!];
    // 10 instant failures (refused connections) do not make the service look faster.
    expect(evaluateGate(fastFailures, gate({ metric: 'latency_p50', phase: 'after', max: 1000 })).observed).toBeCloseTo(10, 0);
    const r = evaluateGate(fastFailures, gate({ metric: 'latency_p99', where: { version: 'v3' }, max: 1000 }));
    expect(r).toMatchObject({ verdict: 'no-data', samples: 0 });
  });

  it('samples while a fault was being injected (a command still running) are in no phase, but in the run', () => {
    const out: JournalEvent[] = [ev(0, { type: 'run.start', runId: 'r', scenario: {}, provenance: {} as never, epochMs: 0 })];
    for (let t = 0; t < 3000; t += 100) out.push(sample(t, !(t >= 1000 && t < 2000), 10));
    // Asked at 1000 ms, in effect (command returned) at 1500 ms, ended at 2000 ms.
    out.splice(11, 0, ev(1500, { type: 'fault.start', step: 'f', kind: 'command', target: 'x', asked: 1000 }));
    out.push(ev(2000, { type: 'fault.end', step: 'f' }));
    expect(evaluateGate(out, gate({ phase: 'before', max: 0 }))).toMatchObject({ verdict: 'pass', samples: 10 });
    expect(evaluateGate(out, gate({ phase: 'during', max: 0.9 }))).toMatchObject({ observed: 5 / 6, samples: 6 });
    expect(evaluateGate(out, gate({ max: 1 })).samples).toBe(30);
  });
});

describe('formatValue', () => {
  it('keeps tiny ratios readable: a 0.002 % budget threshold is not "0%"', () => {
    expect(formatValue(0.00002, 'ratio')).toBe('0.002%');
    expect(formatValue(0.0000643, 'ratio')).toBe('0.00643%');
    expect(describeThreshold({ metric: 'budget_burned', max: 0.00002 })).toBe('≤ 0.002%');
    // From 0.01 % up, two decimals as before.
    expect(formatValue(0.0125, 'ratio')).toBe('1.25%');
    expect(formatValue(0, 'ratio')).toBe('0%');
    expect(formatValue(14.4, 'x')).toBe('14.4x');
  });
});
