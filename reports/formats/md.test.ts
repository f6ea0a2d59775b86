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

  it('keeps the full event log of faults, marks, changes and step ends', () => {
    const log = md.slice(md.indexOf('## Event log'));
    expect(log).toMatch(/\| \+0:10 \| 2025-01-15 09:30:10Z \| mark \| canary weight 10% \(version=v2, weight=10\) \|/);
    expect(log).toMatch(/\| \+0:40 \| [^|]+ \| fault \| ⚠️ fault zoneOutage on zone b started \|/);
    expect(log).toContain('| change | change c1 reverted: cordon nodes in zone b |');
    expect(log).toContain('| step | step load finished |');
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

  it('reads as a postmortem draft: summary, impact, timeline, what the gates concluded, then the evidence', () => {
    const heads = md.split('\n').filter((l) => l.startsWith('## '));
    expect(heads).toEqual(['## Summary', '## Impact', '## Timeline', '## What the gates concluded', '## Figures', '## Traffic', '## Failures by cause', '## Fault windows', '## Event log', '## Definitions', '## Provenance']);
    expect(md).toMatch(/^# Postmortem draft: checkout canary under zone loss\n/);
    // The verdict in one line, with the impact that matters most.
    expect(md).toContain('**❌ FAIL**: 1 of 4 gates failed (canary-errors 7.62%, want ≤ 1%); 65 of 6,240 requests failed (1.04%); rolled back in 12.5 s.');
    expect(md).toContain('| requests failed | 65 of 6,240 (1.04%) |');
    expect(md).toContain('| rollback time | 12.5 s | rollbackSeconds, step release: fault onset to 100% of traffic on stable |');
  });

  it('the timeline tells releases, faults, decisions and recoveries in order, without the change log', () => {
    const story = md.slice(md.indexOf('## Timeline'), md.indexOf('## What the gates concluded'));
    const events = story.split('\n').filter((l) => /^\| \+/.test(l)).map((l) => l.split(' | ').slice(2).join(' | '));
    expect(events).toEqual([
      'run | run run-20250115-093000-abcd started |',
      'release | canary weight 10% (version=v2, weight=10) |',
      'fault | ⚠️ fault zoneOutage on zone b started |',
      'release | rollback: 100% on stable (version=v1, weight=100) |',
      'measured | rollbackSeconds = 12.5 s (step release) |',
      'fault | ⚠️ fault zone-loss ended |',
      'run | run completed |',
    ]);
  });

  it('states the error budget burned, with its arithmetic, when the scenario declares an SLO', () => {
    const events = syntheticJournal({ slo: { availability: 0.999, window: 30 * 86_400_000, rps: 120 } });
    const out = renderMarkdown(buildReport(events), { color: false });
    expect(out).toContain('65 of 6,240 requests failed (1.04%); 0.0209% of the 30-day error budget burned; rolled back in 12.5 s.');
    // 65 / ((1 - 0.999) x 120 x 2,592,000) = 65 / 311,040
    expect(out).toContain('| error budget burned | 0.0209% of the 30-day error budget | 65 failed request(s) (9 in step probe\'s probe requests, 56 in step load\'s load windows) / budget 311,040 requests (SLO 99.9% over 30 days at 120 req/s: (1 - availability) x rps x window) |');
    expect(out).toContain('| burn rate during the run | 10.42x | error rate 1.04% / allowed 0.1%; at this pace the whole budget lasts 2.9 days |');
    expect(out).toContain('- **budget burned**: budget burned = failed requests / error budget.');
    expect(md).not.toContain('error budget');
  });

  it('a canary decision shows its numbers in the timeline', () => {
    const events = syntheticJournal();
    const at = events.findIndex((e) => e.type === 'fault.start');
    const data = { decision: 'rollback', check: 'errors', canary: { requests: 210, failures: 16, errorRate: 0.0762, p99: 340 }, stable: { requests: 6030, failures: 49, errorRate: 0.0081, p99: 329 }, errorLimit: 0.02, pValue: 0.001, weight: 10 };
    events.splice(at + 1, 0, { ...events[at]!, type: 'mark', step: 'release', label: 'canary rollback decided at step 10 %: errors', data } as never);
    events.forEach((e, i) => (e.seq = i));
    const out = renderMarkdown(buildReport(events), { color: false });
    expect(out).toContain('| decision | canary rollback decided at step 10 %: errors (canary 16/210 failed (7.62%), p99 340 ms; stable 49/6,030 failed (0.81%), p99 329 ms; error limit 2%; p = 0.001; at 10 % of traffic) |');
  });

  it('says inconclusive, not pass, for an empty journal', () => {
    const empty = renderMarkdown(buildReport([]), { color: false });
    expect(empty).toContain('**⚠️ INCONCLUSIVE: nothing measured**');
    expect(empty.slice(0, empty.indexOf('## Definitions'))).not.toMatch(/\bPASS\b/);
  });
});
