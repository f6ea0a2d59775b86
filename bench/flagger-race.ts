/**
 * Lab benchmark: the same bad release (20 % errors) through Gauntlet's native canary strategy and
 * through Flagger at its fastest documented settings (interval 10 s, threshold 1; traefik,
 * weight 25 % then 50 %), alternating, N runs each, on one lab instance. Prints each run's
 * figures and rollbackSeconds / detectionSeconds p50 and p95 of each, and the ratio.
 * Needs `gauntlet lab up --addons flagger`. Namespaces flagger-race-native / flagger-race-flagger.
 *
 *   node bench/flagger-race.ts [runs=5] [rate=100]
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labPaths, routerUrl } from '../lab/index.ts';
import { eventually, k, kjson, kk, requireLab } from '../test/e2e/lab-kube.ts';
import { runGauntlet } from '../test/support/cli.ts';
import { demoService } from '../test/support/demo.ts';

const [runs = 5, rate = 100] = process.argv.slice(2).map(Number);
type Who = 'native' | 'flagger';

const manifest = (ns: string) => demoService(ns, 3);

const BAD = "{VERSION: v2, ERROR_RATE: '0.2'}";

function scenario(who: Who, ns: string, url: string): string {
  const file = join(mkdtempSync(join(tmpdir(), `${ns}-`)), 'scenario.yaml');
  const d = who === 'native' ? 30 : 100;
  const release =
    who === 'native'
      ? `  kind: canary\n  name: release\n  at: 4s\n  env: ${BAD}\n  steps: [10, 50]`
      : `  kind: flagger\n  name: release\n  at: 1s\n  env: ${BAD}\n  analysis: {interval: 10s, threshold: 1, maxWeight: 50, stepWeight: 25}`;
  writeFileSync(
    file,
    `name: ${ns}
target: {context: gauntlet-lab, namespace: ${ns}, workload: deployment/demo, url: '${url}'}
duration: ${d}s
load:
  kind: k6
  name: load
  ${who === 'native' ? "env: {K6_NO_CONNECTION_REUSE: 'true'}" : ''}
  profile: {kind: constant, rate: ${rate}, duration: ${d - 2}s}
release:
${release}
gates:
  - {metric: promoted, min: 1}
`,
  );
  return file;
}

function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
}

async function stable(ns: string): Promise<string> {
  await k(['delete', 'namespace', ns, '--ignore-not-found', '--wait=true', '--timeout=120s']);
  await kk(['apply', '-f', '-'], manifest(ns));
  await kk(['-n', ns, 'rollout', 'status', 'deployment/demo', '--timeout=180s']);
  const ip = (await kjson<{ spec: { clusterIP: string } }>(['-n', ns, 'get', 'service', 'demo'])).spec.clusterIP;
  await eventually('service answers', async () => (await fetch(`http://${ip}/`, { signal: AbortSignal.timeout(2000) })).ok, 60_000);
  return `http://${ip}/`;
}

await requireLab();
console.log(`date: ${new Date().toISOString()}; runs=${runs} each, alternating; rate=${rate} req/s; stable 3 replicas; bad release ERROR_RATE=0.2`);
console.log('native: kind canary, steps [10, 50] (replica ratio: 1 canary + 3 stable = 25 %), k6 connection per request, canary at 4 s');
console.log('flagger: kind flagger, traefik, interval 10s, threshold 1, stepWeight 25, maxWeight 50, built-in metrics + Gauntlet webhooks, release at 1 s');
const figs: Record<Who, { rb: number[]; det: number[] }> = { native: { rb: [], det: [] }, flagger: { rb: [], det: [] } };
for (let i = 0; i < runs; i++) {
  for (const who of ['native', 'flagger'] as const) {
    const ns = `flagger-race-${who}`;
    try {
      const svc = await stable(ns);
      const url = who === 'native' ? svc : `${routerUrl()}/${ns}/demo/`;
      const dir = mkdtempSync(join(tmpdir(), 'flagger-race-'));
      const started = Date.now();
      const r = await runGauntlet(['run', scenario(who, ns, url), '--report-dir', dir, '-o', 'json'], { env: { KUBECONFIG: labPaths().kubeconfig } });
      let line = `run ${i + 1} ${who.padEnd(7)}: exit ${r.code} wall ${((Date.now() - started) / 1000).toFixed(0)} s`;
      try {
        const out = JSON.parse(r.stdout);
        const rep = JSON.parse(readFileSync(join(out.runDir, 'report.json'), 'utf8'));
        const f = (n: string, role?: string) => rep.figures.find((x: { name: string; labels?: Record<string, string> }) => x.name === n && (!role || x.labels?.role === role))?.value;
        const d = f('detectionSeconds');
        const b = f('rollbackSeconds');
        if (typeof d === 'number' && typeof b === 'number') {
          figs[who].det.push(d);
          figs[who].rb.push(b);
        }
        line += ` detectionSeconds=${d} rollbackSeconds=${b} canaryGoneSeconds=${f('canaryGoneSeconds')} errorsServed canary=${f('errorsServed', 'canary')}`;
        const events = readFileSync(join(out.runDir, 'journal.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
        const decided = events.find((e) => e.type === 'mark' && /rollback decided/.test(String(e.label)));
        if (decided) line += ` | ${decided.label}`;
        const fl = events.find((e) => e.type === 'mark' && String(e.label) === 'flagger figures (run clock, ms)');
        if (fl) line += ` | triggered ${fl.data.triggered} t0 ${fl.data.t0} td ${fl.data.td} tz ${fl.data.tz}`;
      } catch (e) {
        line += ` (no report: ${(e as Error).message}) ${r.stderr.slice(-400)}`;
      }
      console.log(line);
    } finally {
      await k(['delete', 'namespace', ns, '--ignore-not-found', '--wait=true', '--timeout=120s']);
    }
  }
}
for (const who of ['native', 'flagger'] as const) {
  const { rb, det } = figs[who];
  if (rb.length) console.log(`${who.padEnd(7)}: rollbackSeconds p50 ${pct(rb, 0.5)} p95 ${pct(rb, 0.95)} | detectionSeconds p50 ${pct(det, 0.5)} p95 ${pct(det, 0.95)} (n=${rb.length})`);
}
if (figs.native.rb.length && figs.flagger.rb.length) {
  const ratio = pct(figs.flagger.rb, 0.5) / pct(figs.native.rb, 0.5);
  console.log(`ratio flagger/native rollbackSeconds p50: ${ratio.toFixed(2)} x (goal: native at least 4x faster: ${ratio >= 4 ? 'met' : 'NOT met'}); p95 ratio ${(pct(figs.flagger.rb, 0.95) / pct(figs.native.rb, 0.95)).toFixed(2)} x`);
}
