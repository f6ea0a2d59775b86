import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../core/events.ts';
import { Histogram } from '../core/histogram.ts';
import { buildReport } from './model.ts';
import { renderReport } from './registry.ts';

let seq = 0;
const base = (t: number) => ({ v: 1, seq: seq++, t, wall: new Date(1_700_000_000_000 + t).toISOString() });
const sample = (t: number, over: Record<string, unknown>) => ({ ...base(t), type: 'sample', step: 'probe', ok: false, status: 0, ms: 3, ...over }) as JournalEvent;
const window = (t: number, failures: number, causes?: Record<string, number>) =>
  ({ ...base(t), type: 'window', step: 'load', start: t, end: t + 1000, requests: 100, failures, ...(causes ? { causes } : {}), latency: new Histogram().toJSON() }) as JournalEvent;

// A fault from 2 s to 4 s. The probe records causes (new journals) for some samples and not for
// others (old journals: derived from status and error); k6 windows with and without causes.
function journal(): JournalEvent[] {
  seq = 0;
  return [
    { ...base(0), type: 'run.start', runId: 'r1', epochMs: 1_700_000_000_000, scenario: { name: 's', steps: [{ id: 'probe', kind: 'http-probe' }, { id: 'load', kind: 'k6' }], gates: [] }, provenance: { tool: { name: 'gauntlet', version: '0' }, node: '24', tools: {}, scenario: { file: 's.yaml', name: 's', sha256: 'x' }, seed: 1, host: 'h' } } as unknown as JournalEvent,
    sample(500, { ok: true, status: 200 }),
    { ...base(2000), type: 'fault.start', step: 'kill', kind: 'pod-kill', target: 'pods app=x' } as JournalEvent,
    sample(2100, { cause: 'refused', error: 'ECONNREFUSED' }),
    sample(2200, { cause: 'refused', error: 'ECONNREFUSED' }),
    sample(2300, { status: 503 }), // old journal: no cause, derived from the status
    sample(2400, { error: 'timeout after 1s' }), // old journal: derived from the error text
    window(2000, 10, { 'http-5xx': 6, reset: 4 }),
    window(3000, 5), // no causes recorded: counted as other
    { ...base(4000), type: 'fault.end', step: 'kill' } as JournalEvent,
    window(4500, 0),
    { ...base(5000), type: 'run.end', status: 'completed' } as JournalEvent,
  ];
}

describe('failures by cause', () => {
  const r = buildReport(journal());

  it('counts every failure by cause, largest first, recorded or derived', () => {
    expect(r.failureCauses.totals).toEqual([
      { cause: 'http-5xx', failures: 7, share: 7 / 19 },
      { cause: 'other', failures: 5, share: 5 / 19 },
      { cause: 'reset', failures: 4, share: 4 / 19 },
      { cause: 'refused', failures: 2, share: 2 / 19 },
      { cause: 'timeout', failures: 1, share: 1 / 19 },
    ]);
    expect(r.failureCauses.derivedFailures).toBe(2 + 5);
  });

  it('per step and phase', () => {
    const row = (step: string, phase: string) => r.failureCauses.rows.find((x) => x.step === step && x.phase === phase);
    expect(row('probe', 'during')?.causes.map((c) => [c.cause, c.failures])).toEqual([['refused', 2], ['http-5xx', 1], ['timeout', 1]]);
    expect(row('load', 'all')?.failures).toBe(15);
    expect(row('load', 'after')).toBeUndefined();
  });

  it('each step\'s traffic is labelled probe or load', () => {
    expect(r.steps.map((s) => [s.step, s.source, s.kind, s.requests])).toEqual([['probe', 'probe', 'http-probe', 5], ['load', 'load', 'k6', 300]]);
  });

  it('the terminal summary names the top causes; md and html have the table', () => {
    const text = renderReport(journal(), 'text', { color: false });
    expect(text).toMatch(/failures by cause: 36\.8% HTTP 5xx \(7\), 26\.3% other \(5\), 21\.1% connection reset \(4\), 2 more/);
    expect(text).toMatch(/all \(probe \+ load\)/);
    expect(renderReport(journal(), 'md', { color: false })).toMatch(/## Failures by cause[\s\S]*\| probe, during fault \| 4 \| 50% connection refused \(2\)/);
    expect(renderReport(journal(), 'html', { color: false })).toMatch(/id="failure-causes"/);
  });
});
