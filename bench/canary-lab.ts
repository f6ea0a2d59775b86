/**
 * Lab benchmark: a bad canary (20 % errors) at 200 req/s with a 10 % step (1 canary replica beside
 * 9 stable ones), N runs through `gauntlet canary run`; detectionSeconds and rollbackSeconds p50/p95.
 * Needs the lab (`gauntlet lab up`). Uses namespace canary-bench and removes it at the end.
 *
 *   node bench/canary-lab.ts [runs=10] [rate=200]
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labPaths } from '../lab/index.ts';
import { eventually, k, kjson, kk, requireLab } from '../test/e2e/lab-kube.ts';
import { runGauntlet } from '../test/support/cli.ts';
import { demoService } from '../test/support/demo.ts';

const [runs = 10, rate = 200] = process.argv.slice(2).map(Number);
const ns = 'canary-bench';
const manifest = demoService(ns, 9);

function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
}

await requireLab();
await k(['delete', 'namespace', ns, '--ignore-not-found', '--wait=true', '--timeout=120s']);
await kk(['apply', '-f', '-'], manifest);
await kk(['-n', ns, 'rollout', 'status', 'deployment/demo', '--timeout=180s']);
const ip = (await kjson<{ spec: { clusterIP: string } }>(['-n', ns, 'get', 'service', 'demo'])).spec.clusterIP;
const url = `http://${ip}/`;
await eventually('service answers', async () => (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok, 60_000);
console.log(`date: ${new Date().toISOString()}`);
console.log(`runs=${runs} rate=${rate} req/s, stable 9 replicas + 1 canary (10 %), canary ERROR_RATE=0.2`);
const det: number[] = [];
const rb: number[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'canary-bench-'));
    const r = await runGauntlet(
      ['canary', 'run', '--context', 'gauntlet-lab', '-n', ns, '--workload', 'deployment/demo', '--url', url, '--rate', String(rate), '--duration', '25s', '--env', 'VERSION=v2', '--env', 'ERROR_RATE=0.2', '--steps', '10,50', '--report-dir', dir, '-o', 'json'],
      { env: { KUBECONFIG: labPaths().kubeconfig } },
    );
    let line = `run ${i + 1}: exit ${r.code}`;
    try {
      const out = JSON.parse(r.stdout);
      const rep = JSON.parse(readFileSync(join(out.runDir, 'report.json'), 'utf8'));
      const f = (n: string, role?: string) => rep.figures.find((x: { name: string; labels?: Record<string, string> }) => x.name === n && (!role || x.labels?.role === role))?.value;
      const d = f('detectionSeconds');
      const b = f('rollbackSeconds');
      if (typeof d === 'number' && typeof b === 'number') {
        det.push(d);
        rb.push(b);
      }
      line += ` detectionSeconds=${d} rollbackSeconds=${b} canaryGoneSeconds=${f('canaryGoneSeconds')} errorsServed canary=${f('errorsServed', 'canary')} stable=${f('errorsServed', 'stable')}`;
      const events = readFileSync(join(out.runDir, 'journal.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const decided = events.find((e) => e.type === 'mark' && String(e.label).startsWith('canary rollback decided'));
      if (decided) line += ` | ${decided.label}`;
    } catch (e) {
      line += ` (no report: ${(e as Error).message}) ${r.stderr.slice(-500)}`;
    }
    console.log(line);
  }
} finally {
  await k(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
}
if (det.length) {
  console.log(`detectionSeconds p50 ${pct(det, 0.5)} p95 ${pct(det, 0.95)} max ${Math.max(...det)} (n=${det.length})`);
  console.log(`rollbackSeconds  p50 ${pct(rb, 0.5)} p95 ${pct(rb, 0.95)} max ${Math.max(...rb)} (n=${rb.length}); goal p95 <= 5 s: ${pct(rb, 0.95) <= 5 ? 'met' : 'NOT met'}`);
}
