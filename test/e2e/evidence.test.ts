/**
 * Evidence from real runs, no lab: one scenario (k6 load + an http-probe, an SLO, a budget gate)
 * run twice against a local service, a good release then a bad one (every 10th request 500),
 * each with --bundle; the bundles verify, a tampered one does not, and report --compare says
 * the second release made things worse.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSchema } from '../../reports/schema/validate.ts';
import { tarPack, tarUnpack } from '../../reports/tar.ts';

function gauntlet(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const c = spawn(process.execPath, ['cli/main.ts', ...args, '--no-color'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) => done({ code, stdout, stderr }));
  });
}
const schema = (name: string) => JSON.parse(readFileSync(`cli/schema/${name}.schema.json`, 'utf8')) as Record<string, unknown>;

describe('evidence from two real runs of one scenario', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gauntlet-evidence-e2e-'));
  let release = 'v1';
  let n = 0;
  const server = createServer((_req, res) => {
    n++;
    const bad = release === 'v2' && n % 10 === 0;
    res.writeHead(bad ? 500 : 200, { 'content-type': 'text/plain', 'x-version': release });
    res.end(bad ? 'fail\n' : 'ok\n');
  });
  const file = join(dir, 'release-check.yaml');
  const runs: Record<string, { runDir: string; bundle: { path: string; sha256: string } }> = {};

  beforeAll(async () => {
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    writeFileSync(
      file,
      `name: release-check
target: {url: '${url}'}
duration: 20s
slo: {availability: 99.9%, window: 30d, rps: 120}
load: {kind: k6, name: load, profile: {kind: constant, rate: 40, duration: 4s}}
checks:
  - {kind: http-probe, name: probe, interval: 200ms, duration: 4s}
# Gates on the k6 load only: on a loaded machine the probe can send late (cause "late"), which is
# the machine, not the release. The report's budget still counts every request (probe too).
gates:
  - {name: errors, metric: error_rate, step: load, max: 1%}
  - {name: budget, metric: budget_burned, step: load, max: 0.002%}
`,
    );
    for (const [side, version] of [['a', 'v1'], ['b', 'v2']] as const) {
      release = version;
      const r = await gauntlet(['run', file, '--report-dir', join(dir, 'runs'), '--bundle', '-o', 'json']);
      const doc = JSON.parse(r.stdout) as { runDir: string; verdict: string; bundle: { path: string; sha256: string } };
      expect(validateSchema(doc, schema('run')), r.stderr).toEqual([]);
      expect(doc.verdict, r.stderr).toBe(side === 'a' ? 'pass' : 'fail');
      runs[side] = doc;
    }
  }, 120_000);
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  it('each report states the budget burned, traceable to the requests', () => {
    const report = JSON.parse(readFileSync(join(runs.b!.runDir, 'report.json'), 'utf8')) as { totals: { failures: number }; budget: { failures: number; budgetRequests: number; burned: number; counted: Array<{ step: string; from: string; failures: number }> } };
    expect(report.budget.counted.map((c) => `${c.step}/${c.from}`).sort()).toEqual(['load/window', 'probe/sample']);
    expect(report.budget.counted.reduce((n, c) => n + c.failures, 0)).toBe(report.budget.failures);
    expect(report.budget.failures).toBe(report.totals.failures);
    expect(report.budget.failures).toBeGreaterThan(0);
    expect(report.budget.budgetRequests).toBeCloseTo(311_040, 6);
    expect(report.budget.burned).toBeCloseTo(report.budget.failures / 311_040, 12);
    const md = readFileSync(join(runs.b!.runDir, 'report.md'), 'utf8');
    // Which requests counted: the k6 step's load windows and the probe's requests, named.
    expect(md).toMatch(/\| error budget burned \| [\d.]+% of the 30-day error budget \| \d+ failed request\(s\) \((\d+ in step (load's load windows|probe's probe requests)(, )?)+\) \/ budget 311,040 requests/);
  });

  it('the bundles verify; one byte changed in one does not, naming the file', async () => {
    for (const side of ['a', 'b']) expect((await gauntlet(['verify', runs[side]!.bundle.path])).code).toBe(0);
    const entries = tarUnpack(gunzipSync(readFileSync(runs.a!.bundle.path)));
    const journal = entries.find((e) => e.name.endsWith('/journal.ndjson'))!;
    journal.data[10] = journal.data[10]! ^ 1;
    const bad = join(dir, 'tampered.tar.gz');
    writeFileSync(bad, gzipSync(tarPack(entries)));
    const r = await gauntlet(['verify', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\n  journal\.ndjson: modified: /);
  });

  it('report --compare: the bad release regressed (exit 1), with the deltas', async () => {
    const r = await gauntlet(['report', '--compare', runs.a!.runDir, runs.b!.runDir, '-o', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const c = JSON.parse(r.stdout) as { regressions: string[]; warnings: string[]; figures: Array<{ name: string; change: string }>; b: { versions: string[] } };
    expect(validateSchema(c, schema('compare'))).toEqual([]);
    expect(c.regressions).toEqual(['errors', 'budget']);
    expect(c.warnings).toEqual([]);
    expect(c.figures.find((f) => f.name === 'error rate')!.change).toBe('worse');
    expect(c.figures.find((f) => f.name === 'budget burned')!.change).toBe('worse');
  });
});
