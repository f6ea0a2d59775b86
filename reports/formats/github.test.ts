import { describe, expect, it } from 'vitest';
import { buildReport } from '../model.ts';
import { syntheticJournal } from '../synthetic.ts';
import { GITHUB_SUMMARY_MAX_BYTES, renderGithub } from './github.ts';
import { renderMarkdown } from './md.ts';

describe('github step summary', () => {
  it('stays under 1 MiB on a huge journal, keeping faults and gates', () => {
    const r = buildReport(syntheticJournal({ seconds: 60, extraMarks: 20_000 }));
    expect(Buffer.byteLength(renderMarkdown(r, { color: false }))).toBeGreaterThan(1024 * 1024);
    const out = renderGithub(r, { color: false });
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(GITHUB_SUMMARY_MAX_BYTES);
    expect(GITHUB_SUMMARY_MAX_BYTES).toBeLessThan(1024 * 1024);
    expect(out).toMatch(/_[\d,]+ of 20,0\d\d timeline events omitted to fit the size limit/);
    expect(out).toContain('fault zoneOutage on zone b started');
    expect(out).toContain('| ❌ FAIL | canary-errors |');
    expect(out).toContain('## Definitions');
    expect(out).not.toContain('token=abc');
  });

  it('is the plain Markdown when it fits', () => {
    const r = buildReport(syntheticJournal());
    expect(renderGithub(r, { color: false })).toBe(renderMarkdown(r, { color: false }));
  });
});
