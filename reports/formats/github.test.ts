import { describe, expect, it } from 'vitest';
import { buildReport } from '../model.ts';
import { syntheticJournal } from '../synthetic.ts';
import { githubAnnotations, GITHUB_SUMMARY_MAX_BYTES, renderGithub } from './github.ts';
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

  it('is a compact summary with the rest collapsed, not the plain Markdown', () => {
    const r = buildReport(syntheticJournal());
    const out = renderGithub(r, { color: false });
    expect(out).not.toBe(renderMarkdown(r, { color: false }));
    const [head, rest] = out.split('<details>');
    expect(head).toMatch(/^### ❌ Gauntlet FAIL: /);
    expect(head).toContain('| ❌ FAIL | canary-errors {version=v2} |');
    expect(head).not.toContain('## Timeline');
    expect(rest).toMatch(/^<summary>Full report[^<]*<\/summary>\n\n## Impact/);
    expect(rest).toContain('## Timeline');
    expect(out.trimEnd().endsWith('</details>')).toBe(true);
  });

  it('the compact head states the error budget burned when the scenario has an SLO', () => {
    const out = renderGithub(buildReport(syntheticJournal({ slo: { availability: 0.999, window: 30 * 86_400_000, rps: 120 } })), { color: false });
    expect(out.split('<details>')[0]).toContain('**Error budget:** 0.0209% of the 30-day error budget burned (65 failed of 311,040 allowed).');
  });

  it('failed gates become annotations (workflow commands)', () => {
    const lines = githubAnnotations(buildReport(syntheticJournal()));
    expect(lines).toContainEqual(expect.stringMatching(/^::error (file=[^,]+,)?title=gate canary-errors failed::error_rate \{version=v2\}: [\d.]+%25, want ≤ 1%25 \(run /));
    expect(lines.every((l) => !l.includes('\n'))).toBe(true);
  });
});
