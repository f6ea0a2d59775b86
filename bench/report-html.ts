/**
 * How long a one-hour run's HTML report takes to build: a synthetic journal at 1 s resolution
 * (3,600+ load windows, 7,200 probe samples, a fault window, release marks), read back from
 * NDJSON, then buildReport + renderHtml. Goal: under 2 s.
 *
 *   node bench/report-html.ts [runs=5]
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readJournal } from '../core/journal.ts';
import { renderHtml } from '../reports/formats/html.ts';
import { renderJunit } from '../reports/formats/junit.ts';
import { renderMarkdown } from '../reports/formats/md.ts';
import { buildReport } from '../reports/model.ts';
import { syntheticJournal } from '../reports/synthetic.ts';

const runs = Number(process.argv[2] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'gauntlet-bench-'));
const path = join(dir, 'journal.ndjson');
const events = syntheticJournal({ seconds: 3600, samplesPerSecond: 2, rps: 200, latencyDraws: 80, fault: { start: 1200, end: 1500 }, extraMarks: 40 });
writeFileSync(path, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
const count = (type: string) => events.filter((e) => e.type === type).length;
console.log(`journal: ${events.length} events (${count('window')} windows, ${count('sample')} samples, ${count('mark')} marks), ${(statSync(path).size / 1e6).toFixed(1)} MB`);

const time = <T>(fn: () => T): [T, number] => {
  const t0 = performance.now();
  const out = fn();
  return [out, performance.now() - t0];
};
const rows: Array<Record<string, number>> = [];
for (let i = 0; i < runs; i++) {
  const [read, readMs] = time(() => readJournal(path));
  const [report, buildMs] = time(() => buildReport(read));
  const [html, htmlMs] = time(() => renderHtml(report, { color: false }));
  const [, otherMs] = time(() => renderMarkdown(report, { color: false }).length + renderJunit(report, { color: false }).length + JSON.stringify(report).length);
  rows.push({ readMs, buildMs, htmlMs, 'build+htmlMs': buildMs + htmlMs, 'md+junit+jsonMs': otherMs, htmlKB: html.length / 1024 });
  console.log(`run ${i + 1}: ` + Object.entries(rows.at(-1)!).map(([k, v]) => `${k}=${v.toFixed(0)}`).join(' '));
}
const median = (k: string) => rows.map((r) => r[k]!).sort((a, b) => a - b)[Math.floor(rows.length / 2)]!;
const worst = Math.max(...rows.map((r) => r['build+htmlMs']!));
console.log(`median: read ${median('readMs').toFixed(0)} ms, buildReport ${median('buildMs').toFixed(0)} ms, renderHtml ${median('htmlMs').toFixed(0)} ms, build+html ${median('build+htmlMs').toFixed(0)} ms (worst ${worst.toFixed(0)} ms; goal < 2000 ms)`);
rmSync(dir, { recursive: true, force: true });
