import { describe, expect, it } from 'vitest';
import { UsageError } from '../core/errors.ts';
import type { JournalEvent } from '../core/events.ts';
import { changeOf, compareRuns, directionOf, scenarioDifferences } from './compare.ts';
import { renderCompareMarkdown, renderCompareText } from './compare-render.ts';
import { buildReport } from './model.ts';
import { syntheticJournal } from './synthetic.ts';

const slo = { availability: 0.999, window: 30 * 86_400_000, rps: 120 };
const side = (events: JournalEvent[], runDir?: string) => ({ report: buildReport(events), events, ...(runDir ? { runDir } : {}) });
// A: the bad release (fails 3x as often, rolls back in 12.5 s); B: the fix (rolls back in 4 s).
const A = syntheticJournal({ slo, variant: { runId: 'run-a', failScale: 3 } });
const B = syntheticJournal({ slo, variant: { runId: 'run-b', failScale: 1, rollbackSeconds: 4 } });

describe('report --compare', () => {
  const c = compareRuns(side(A, 'runs/a'), side(B, 'runs/b'));

  it('puts the gates side by side and names the regressions and improvements', () => {
    const errors = c.gates.find((g) => g.name === 'errors-during-fault')!;
    expect(errors.a!.verdict).toBe('fail');
    expect(errors.b!.verdict).toBe('pass');
    expect(errors.change).toBe('better');
    expect(c.improvements).toEqual(['errors-during-fault']);
    expect(c.regressions).toEqual([]);
    // Failing on both sides, but less: still better.
    expect(c.gates.find((g) => g.name === 'canary-errors')).toMatchObject({ a: { verdict: 'fail' }, b: { verdict: 'fail' }, change: 'better' });
  });

  it('gives each figure its delta and whether it got better or worse', () => {
    const fig = (name: string) => c.figures.find((f) => f.name === name)!;
    expect(fig('rollbackSeconds')).toMatchObject({ a: 12.5, b: 4, delta: -8.5, relative: -0.68, better: 'lower', change: 'better' });
    expect(fig('error rate').change).toBe('better');
    expect(fig('requests failed').b).toBeLessThan(fig('requests failed').a!);
    expect(fig('budget burned')).toMatchObject({ change: 'better' });
    expect(fig('budget burned').a).toBe(buildReport(A).budget!.burned);
    // The synthetic variants differ in failures only: latency stays the same.
    expect(fig('latency p99').change).toBe('same');
    expect(fig('rate (req/s)').change).toBe('same');
  });

  it('shows the traffic per phase of each side', () => {
    expect(c.phases.map((p) => p.phase)).toEqual(['all', 'before', 'during', 'after']);
    const during = c.phases[2]!;
    expect(during.a!.requests).toBe(during.b!.requests);
    expect(during.a!.failures).toBeGreaterThan(during.b!.failures);
  });

  it('reversed, the same numbers read as a regression', () => {
    const r = compareRuns(side(B), side(A));
    expect(r.regressions).toEqual(['errors-during-fault']);
    expect(r.figures.find((f) => f.name === 'rollbackSeconds')!.change).toBe('worse');
  });

  it('refuses runs of different scenarios (exit 2), warns when the same scenario differs in content', () => {
    const other = syntheticJournal({ variant: { runId: 'run-x', failScale: 1 } });
    (other[0] as { scenario: { name: string } }).scenario.name = 'something-else';
    expect(() => compareRuns(side(A), side(other))).toThrow(UsageError);
    expect(() => compareRuns(side(A), side(other))).toThrow(/different scenarios \(A: checkout canary under zone loss, run run-a; B: something-else, run run-x\)/);
    const tweaked = syntheticJournal({ slo, variant: { runId: 'run-c', failScale: 1 } });
    (tweaked[0] as { scenario: { steps: Array<{ params: { rate: number } }> } }).scenario.steps[0]!.params.rate = 80;
    expect(compareRuns(side(A), side(tweaked)).warnings).toEqual([expect.stringContaining('the scenario differs between the runs (steps[0].params.rate)')]);
    expect(c.warnings).toEqual([]);
  });

  it('renders as text and Markdown', () => {
    const text = renderCompareText(c);
    expect(text.split('\n')[0]).toBe('checkout canary under zone loss: A run-a (fail) vs B run-b (fail); 1 gate(s) now pass: errors-during-fault; nothing got worse; better: error rate, requests failed, budget burned, burn rate, rollbackSeconds');
    expect(text).toMatch(/rollbackSeconds\s+12\.5 s\s+4 s\s+−8\.5 s \(−68%\)\s+better/);
    const md = renderCompareMarkdown(c);
    expect(md).toContain('| errors-during-fault {phase=during} | ≤ 5% | FAIL ');
    expect(md).toContain('| rollbackSeconds | 12.5 s | 4 s | −8.5 s (−68%) | better |');
    expect(md).toMatch(/\| error rate \| [\d.]+% \| [\d.]+% \| −[\d.]+ pp \(−[\d.]+%\) \| better \|/);
  });
});

describe('compare helpers', () => {
  it('directions by name', () => {
    expect(['error_rate', 'rollbackSeconds', 'errorsServed', 'latency_p99', 'budget burned'].map(directionOf)).toEqual(['lower', 'lower', 'lower', 'lower', 'lower']);
    expect(['surgeMultipleHeld', 'capacityRps', 'promoted'].map(directionOf)).toEqual(['higher', 'higher', 'higher']);
    expect(directionOf('podsEvicted')).toBe('neither');
  });
  it('same within 1 %', () => {
    expect(changeOf(100, 100.5, 'lower')).toBe('same');
    expect(changeOf(100, 102, 'lower')).toBe('worse');
    expect(changeOf(0, 0, 'lower')).toBe('same');
    expect(changeOf(1, 2, 'neither')).toBe('changed');
    expect(changeOf(undefined, 2, 'lower')).toBe('only-b');
  });
  it('scenario differences name the paths, not the file', () => {
    expect(scenarioDifferences({ file: 'a', n: 1, s: [{ x: 1 }] }, { file: 'b', n: 1, s: [{ x: 2 }] })).toEqual(['s[0].x']);
  });
});
