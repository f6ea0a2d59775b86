/**
 * Evidence costs on a one-hour run (the journal of bench/report-html.ts, with an SLO):
 * buildReport with the error budget, the postmortem Markdown, writing the bundle (every format
 * rebuilt from the redacted journal, tar + gzip), verifying it, and comparing two such runs.
 *
 *   node bench/evidence.ts [runs=3]
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readJournal } from '../core/journal.ts';
import { writeBundle } from '../reports/bundle.ts';
import { compareRuns } from '../reports/compare.ts';
import { renderMarkdown } from '../reports/formats/md.ts';
import { buildReport } from '../reports/model.ts';
import { syntheticJournal } from '../reports/synthetic.ts';
import { verifyBundle } from '../reports/verify.ts';

const runs = Number(process.argv[2] ?? 3);
const root = mkdtempSync(join(tmpdir(), 'gauntlet-bench-evidence-'));
const slo = { availability: 0.999, window: 30 * 86_400_000, rps: 120 };
const journal = (runId: string, failScale: number) => syntheticJournal({ seconds: 3600, samplesPerSecond: 2, rps: 200, latencyDraws: 80, fault: { start: 1200, end: 1500 }, extraMarks: 40, slo, variant: { runId, failScale } });
const dirs = [['a', journal('run-a', 1)], ['b', journal('run-b', 2)]] as const;
for (const [name, events] of dirs) {
  mkdirSync(join(root, name));
  writeFileSync(join(root, name, 'journal.ndjson'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
}
console.log(`journal: ${dirs[0][1].length} events, ${(statSync(join(root, 'a', 'journal.ndjson')).size / 1e6).toFixed(1)} MB`);

const time = <T>(fn: () => T): [T, number] => {
  const t0 = performance.now();
  const out = fn();
  return [out, performance.now() - t0];
};
const rows: Array<Record<string, number>> = [];
for (let i = 0; i < runs; i++) {
  const events = readJournal(join(root, 'a', 'journal.ndjson'));
  const [report, buildMs] = time(() => buildReport(events));
  const [, mdMs] = time(() => renderMarkdown(report, { color: false }));
  const t0 = performance.now();
  const bundle = await writeBundle(join(root, 'a'), { out: join(root, `bundle-${i}.tar.gz`) });
  const bundleMs = performance.now() - t0;
  const [v, verifyMs] = time(() => verifyBundle(bundle.path));
  if (!v.intact) throw new Error(`bundle not intact: ${JSON.stringify(v.problems)}`);
  const eventsB = readJournal(join(root, 'b', 'journal.ndjson'));
  const [, compareMs] = time(() => compareRuns({ report, events }, { report: buildReport(eventsB), events: eventsB }));
  rows.push({ buildMs, mdMs, bundleMs, verifyMs, compareMs, bundleKB: bundle.bytes / 1024 });
  console.log(`run ${i + 1}: ` + Object.entries(rows.at(-1)!).map(([k, x]) => `${k}=${x.toFixed(0)}`).join(' '));
}
const median = (k: string) => rows.map((r) => r[k]!).sort((a, b) => a - b)[Math.floor(rows.length / 2)]!;
console.log(`median: buildReport ${median('buildMs').toFixed(0)} ms, md ${median('mdMs').toFixed(0)} ms, bundle ${median('bundleMs').toFixed(0)} ms (${median('bundleKB').toFixed(0)} KB), verify ${median('verifyMs').toFixed(0)} ms, compare (incl. building B) ${median('compareMs').toFixed(0)} ms`);
rmSync(root, { recursive: true, force: true });
