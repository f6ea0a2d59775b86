import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderReport } from './registry.ts';
import { syntheticJournal } from './synthetic.ts';
import { writeReports } from './write.ts';

describe('writeReports', () => {
  it('writes the standard files into the run directory and appends the GitHub summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gauntlet-reports-'));
    const runDir = join(dir, 'run-1');
    const summary = join(dir, 'step-summary.md');
    writeFileSync(summary, '# earlier step\n');
    const { files, report } = await writeReports(runDir, syntheticJournal(), { githubStepSummary: summary });
    expect(readdirSync(runDir).sort()).toEqual(['junit.xml', 'report.html', 'report.json', 'report.md']);
    expect(files).toContain(summary);
    expect(JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')).verdict).toBe(report.verdict);
    const appended = readFileSync(summary, 'utf8');
    expect(appended.startsWith('# earlier step\n### ❌ Gauntlet FAIL: checkout canary under zone loss')).toBe(true);
  });

  it('renders any registered format straight from a journal', () => {
    const events = syntheticJournal();
    expect(renderReport(events, 'text', { color: false })).toMatch(/^ FAIL /);
    expect(renderReport(events, 'junit')).toMatch(/^<\?xml/);
    const overridden = renderReport(events, 'json', { gates: [{ name: 'p99', metric: 'latency_p99', max: 10_000 }] });
    expect(JSON.parse(overridden).verdict).toBe('pass');
  });
});
