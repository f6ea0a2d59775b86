import { describe, expect, it } from 'vitest';
import { buildReport } from '../model.ts';
import { syntheticJournal } from '../synthetic.ts';
import { renderMarkdown } from './md.ts';

describe('markdown', () => {
  const md = renderMarkdown(buildReport(syntheticJournal()), { color: false });

  it('has a gate table with observed vs threshold per gate', () => {
    const lines = md.split('\n');
    const head = lines.indexOf('| Result | Gate | Metric | Selection | Observed | Threshold | Samples |');
    expect(head).toBeGreaterThan(0);
    expect(lines[head + 1]).toBe('| --- | --- | --- | --- | ---: | ---: | ---: |');
    expect(lines[head + 3]).toBe('| ❌ FAIL | canary-errors | error_rate | {version=v2} | 7.62% | ≤ 1% | 210 |');
    expect(lines.slice(head + 2, head + 6).every((l) => l.split(' | ').length === 7)).toBe(true);
  });

  it('has a timeline of faults, marks, changes and step ends', () => {
    expect(md).toMatch(/\| \+0:10 \| 2025-01-15 09:30:10Z \| mark \| canary weight 10% \(version=v2, weight=10\) \|/);
    expect(md).toMatch(/\| \+0:40 \| [^|]+ \| fault \| ⚠️ fault zoneOutage on zone b started \|/);
    expect(md).toContain('| change | change c1 reverted: cordon nodes in zone b |');
    expect(md).toContain('| step | step load finished |');
  });

  it('states definitions and provenance, with secrets redacted', () => {
    expect(md).toContain('- **error rate**: failed requests / requests');
    expect(md).toContain('- **rollbackSeconds**: fault onset to 100% of traffic on stable');
    expect(md).toContain('| scenario commit | 1a2b3c4d5e6f |');
    expect(md).not.toContain('sk_live');
  });

  it('keeps table rows intact when text holds pipes', () => {
    const events = syntheticJournal({ gates: [{ name: 'a|b', metric: 'error_rate', max: 1 }] });
    expect(renderMarkdown(buildReport(events), { color: false })).toContain('| ✅ pass | a\\|b |');
  });

  it('says inconclusive, not pass, for an empty journal', () => {
    const empty = renderMarkdown(buildReport([]), { color: false });
    expect(empty).toContain('**⚠️ INCONCLUSIVE: nothing measured**');
    expect(empty.slice(0, empty.indexOf('## Definitions'))).not.toMatch(/\bPASS\b/);
  });
});
