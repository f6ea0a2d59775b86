import { describe, expect, it } from 'vitest';
import { buildReport } from '../model.ts';
import { syntheticJournal } from '../synthetic.ts';
import { renderText } from './text.ts';

const ANSI = /\u001b\[/;

describe('text summary', () => {
  const r = buildReport(syntheticJournal());

  it('leads with the verdict and lists every gate with observed vs threshold', () => {
    const out = renderText(r, { color: false });
    expect(out.split('\n')[0]).toMatch(/^ FAIL  checkout canary under zone loss/);
    expect(out).toMatch(/FAIL\s+canary-errors \{version=v2\}\s+7\.62%\s+want ≤ 1%/);
    expect(out).toMatch(/pass\s+p99-latency\s+[\d.]+ ms\s+want ≤ 800 ms/);
    expect(out).toContain('during fault');
    expect(out).toContain('version=v2');
    expect(out).toContain('rollbackSeconds = 12.5 s');
    expect(out).toContain('context kind-gauntlet');
  });

  it('colours only when told to', () => {
    expect(renderText(r, { color: false })).not.toMatch(ANSI);
    expect(renderText(r, { color: true })).toMatch(ANSI);
  });

  it('never says PASS for an empty journal', () => {
    const out = renderText(buildReport([]), { color: false });
    expect(out).toContain('INCONCLUSIVE: nothing measured');
    expect(out).not.toMatch(/\bPASS\b/);
  });
});

describe('terminal summary with an SLO', () => {
  it('states the budget burned and its arithmetic', () => {
    const out = renderText(buildReport(syntheticJournal({ slo: { availability: 0.999, window: 30 * 86_400_000, rps: 120 } })), { color: false });
    expect(out).toContain('  error budget: 0.0209% of the 30-day error budget burned (65 failed of 0.1% x 120 req/s x 2592000 s = 311040 allowed), burn rate 10.42x');
  });
});
