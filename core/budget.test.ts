import { describe, expect, it } from 'vitest';
import { budgetRequests, errorBudget, journaledSlo, sloText } from './budget.ts';
import type { JournalEvent, NewEvent } from './events.ts';
import { evaluateGates, type GateSpec } from './gates.ts';
import { Histogram } from './histogram.ts';
import type { SloSpec } from './scenario.ts';

const DAY = 86_400_000;
const SLO: SloSpec = { availability: 0.999, window: 30 * DAY, rps: 120 };

/** A run: 60 s of k6 windows (100 req/s, `fail` per second failing), probe samples, egress check rows. */
function journal(slo: SloSpec | undefined, failPerSecond: number): JournalEvent[] {
  const events: JournalEvent[] = [];
  const push = (e: NewEvent, t: number) => events.push({ ...e, v: 1, seq: events.length, t, wall: new Date(t).toISOString() } as JournalEvent);
  push({ type: 'run.start', runId: 'r', epochMs: 0, scenario: { name: 's', gates: [], ...(slo ? { slo } : {}) }, provenance: {} as never }, 0);
  for (let s = 0; s < 60; s++) {
    const h = new Histogram();
    h.record(20, 100 - failPerSecond);
    push({ type: 'window', step: 'load', start: s * 1000, end: (s + 1) * 1000, requests: 100, failures: failPerSecond, latency: h.toJSON() }, (s + 1) * 1000);
    // One failing probe request a second, and a failing egress check row (never a request).
    push({ type: 'sample', step: 'probe', ok: false, status: 503, ms: 5 }, s * 1000 + 500);
    push({ type: 'sample', step: 'egress', measures: 'check', ok: false, status: 0, ms: 0 }, s * 1000 + 600);
  }
  push({ type: 'run.end', status: 'completed' }, 61_000);
  return events;
}

describe('error budget arithmetic', () => {
  it('says the SLO and its budget in words (validate prints it)', () => {
    expect(sloText(SLO)).toBe('SLO 99.9% over 30 days at 120 req/s: error budget 311,040 requests');
    expect(sloText({ availability: 0.995, window: 3_600_000 * 12, rps: 5 })).toBe('SLO 99.5% over 12 h at 5 req/s: error budget 1,080 requests');
  });

  it('budget = (1 - availability) x rps x window seconds', () => {
    expect(budgetRequests(SLO)).toBeCloseTo(311_040, 6);
    expect(budgetRequests({ availability: 0.99, window: DAY, rps: 10 })).toBeCloseTo(8640, 6);
  });

  it('burned = failed requests / budget; check rows never count; probe requests do', () => {
    const b = errorBudget(journal(SLO, 2), SLO);
    // 60 s x 2 failed load requests + 60 failed probe requests; the 60 failed check rows are not requests.
    expect(b.failures).toBe(180);
    expect(b.requests).toBe(6060);
    expect(b.burned).toBeCloseTo(180 / 311_040, 12);
    // burn rate = error rate / (1 - availability): (180 / 6060) / 0.001
    expect(b.burnRate).toBeCloseTo(180 / 6060 / 0.001, 9);
    expect(b.exhaustSeconds).toBeCloseTo((30 * DAY) / 1000 / b.burnRate!, 6);
    expect(b.runSeconds).toBe(60);
  });

  it('slo.step restricts the requests that count', () => {
    const slo = { ...SLO, step: 'load' };
    const b = errorBudget(journal(slo, 2), slo);
    expect(b).toMatchObject({ step: 'load', failures: 120, requests: 6000 });
  });

  it('nothing failed: nothing burned, and the budget never runs out', () => {
    const slo = { ...SLO, step: 'load' };
    const b = errorBudget(journal(slo, 0), slo);
    expect(b.burned).toBe(0);
    expect(b.burnRate).toBe(0);
    expect(b.exhaustSeconds).toBeUndefined();
  });

  it('the SLO is read back from run.start', () => {
    expect(journaledSlo(journal(SLO, 1))).toEqual(SLO);
    expect(journaledSlo(journal(undefined, 1))).toBeUndefined();
  });
});

describe('budget gates', () => {
  const gates: GateSpec[] = [
    { name: 'budget', metric: 'budget_burned', max: 0.0005 },
    { name: 'burn', metric: 'burn_rate', step: 'load', max: 10 },
  ];

  it('budget_burned and burn_rate judge the run against its SLO', () => {
    // load only: 2 % errors = burn rate 20 > 10; all: 180 / 311,040 = 0.058 % > 0.05 %.
    const v = evaluateGates(journal(SLO, 2), gates);
    expect(v.gates.map((g) => [g.name, g.verdict, g.unit])).toEqual([['budget', 'fail', 'ratio'], ['burn', 'fail', 'x']]);
    expect(v.gates[1]!.observed).toBeCloseTo(20, 9);
    expect(v.reasons).toContain('gate burn failed: 20x (want ≤ 10x)');
    const ok = evaluateGates(journal(SLO, 0), [{ name: 'budget', metric: 'budget_burned', step: 'load', max: 0.02 }]);
    expect(ok.verdict).toBe('pass');
  });

  it('without an SLO in the journal a budget gate has no data (never a pass)', () => {
    const v = evaluateGates(journal(undefined, 0), gates);
    expect(v.gates.map((g) => g.verdict)).toEqual(['no-data', 'no-data']);
    expect(v.verdict).toBe('inconclusive');
  });
});

describe('what the budget counted', () => {
  it('per step, load windows apart from probe samples, adding up to the totals', () => {
    const b = errorBudget(journal(SLO, 2), SLO);
    expect(b.counted).toEqual([
      { step: 'load', from: 'window', requests: 6000, failures: 120 },
      { step: 'probe', from: 'sample', requests: 60, failures: 60 },
    ]);
    expect(b.counted!.reduce((n, c) => n + c.failures, 0)).toBe(b.failures);
  });
});
