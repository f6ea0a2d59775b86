import { describe, expect, it } from 'vitest';
import { buildReport, REPORT_SCHEMA_VERSION } from './model.ts';
import { FIXTURE_GATES, syntheticJournal } from './synthetic.ts';

describe('buildReport', () => {
  const events = syntheticJournal();
  const r = buildReport(events);

  it('evaluates the gates stored in the scenario and fails on the failing one', () => {
    expect(r.schemaVersion).toBe(REPORT_SCHEMA_VERSION);
    expect(r.gates.map((g) => g.name)).toEqual(FIXTURE_GATES.map((g) => g.name));
    const byName = Object.fromEntries(r.gates.map((g) => [g.name, g.verdict]));
    expect(byName).toEqual({ 'errors-during-fault': 'pass', 'canary-errors': 'fail', 'p99-latency': 'pass', 'rollback-time': 'pass' });
    expect(r.verdict).toBe('fail');
  });

  it('lets the caller override the gates', () => {
    const only = buildReport(events, { gates: [{ name: 'p99', metric: 'latency_p99', max: 10_000 }] });
    expect(only.gates).toHaveLength(1);
    expect(only.verdict).toBe('pass');
  });

  it('breaks traffic down by phase and by version', () => {
    const during = r.phases.find((p) => p.phase === 'during')!;
    const before = r.phases.find((p) => p.phase === 'before')!;
    expect(during.errorRate!).toBeGreaterThan(before.errorRate!);
    expect(during.p99!).toBeGreaterThan(before.p99!);
    expect(r.phases.reduce((n, p) => n + p.requests, 0)).toBe(r.totals.requests);
    const versions = r.labels.find((l) => l.label === 'version')!;
    expect(versions.rows.map((x) => x.value)).toEqual(['v1', 'v2']);
    expect(r.labelSeries.map((s) => s.value)).toEqual(['v1', 'v2']);
  });

  it('carries provenance, faults, figures, a timeline and definitions', () => {
    expect(r.provenance?.tool.version).toBe('0.1.0');
    expect(r.provenance?.scenario.git?.commit).toBe('1a2b3c4d5e6f');
    expect(r.provenance?.kube?.context).toBe('kind-gauntlet');
    expect(r.provenance?.seed).toBe(7);
    expect(r.provenance?.durationSeconds).toBeCloseTo(120.02, 2);
    expect(r.faults).toEqual([{ step: 'zone-loss', kind: 'zoneOutage', target: 'zone b', startSeconds: 40, endSeconds: 80 }]);
    expect(r.figures[0]).toMatchObject({ name: 'rollbackSeconds', value: 12.5, phase: 'during' });
    const kinds = new Set(r.timeline.map((e) => e.kind));
    expect([...kinds].sort()).toEqual(['change', 'fault', 'log', 'mark', 'run', 'step']);
    expect(r.definitions.map((d) => d.term)).toContain('rollbackSeconds');
    expect(r.series).toHaveLength(120);
    // Two versions loaded side by side: the rate counts each second once (50 load + 2 probe req/s).
    expect(r.totals.rps).toBeCloseTo(52, 0);
  });

  it('redacts secrets from the scenario, logs and marks', () => {
    const json = JSON.stringify(r);
    for (const secret of ['hunter2', 'abc.def.ghi', 's3cr3t', 'sk_live_abcdef123456']) expect(json).not.toContain(secret);
    expect(r.scenario?.target?.url).toBe('https://[redacted]@checkout.shop.svc');
  });

  it('does not pass a run whose journal has no end', () => {
    const gates = [{ name: 'p99', metric: 'latency_p99', max: 10_000 }];
    expect(buildReport(events, { gates }).verdict).toBe('pass');
    const crashed = buildReport(events.filter((e) => e.type !== 'run.end'), { gates });
    expect(crashed.status).toBe('unfinished');
    expect(crashed.verdict).toBe('inconclusive');
    expect(crashed.reasons).toContain('the journal has no run.end: the run crashed or is still running');
  });

  it('calls an empty journal inconclusive, never a pass', () => {
    const empty = buildReport([]);
    expect(empty.verdict).toBe('inconclusive');
    expect(empty.measured).toBe(false);
    expect(empty.reasons).toContain('nothing was measured');
    expect(empty.provenance).toBeUndefined();
    expect(empty.status).toBe('unfinished');
  });
});
