/**
 * The canary strategy end to end in the lab: real pods, real Service endpoints, real k6 load
 * (per-request connections, so the Service's replica ratio is the traffic split). The stable
 * demo service is set up with kubectl before each run, as a team's existing Deployment would be;
 * each case has its own namespace (prefix canary-) and removes it afterwards.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGauntlet, type CliOptions } from '../support/cli.ts';
import { eventually, k, kjson, kk, labKubeconfig, requireLab } from './lab-kube.ts';
import { demoService } from '../support/demo.ts';

const gauntlet = (args: string[], opts: CliOptions = {}) => runGauntlet(args, { ...opts, env: { KUBECONFIG: labKubeconfig() } });
const used: string[] = [];

const stableManifest = (ns: string) => demoService(ns, 3);

/** Create the stable service in its own namespace; returns its URL. */
async function stable(ns: string): Promise<string> {
  used.push(ns);
  await k(['delete', 'namespace', ns, '--ignore-not-found', '--wait=true', '--timeout=120s']);
  await kk(['apply', '-f', '-'], stableManifest(ns));
  await kk(['-n', ns, 'rollout', 'status', 'deployment/demo', '--timeout=120s']);
  const svc = await kjson<{ spec: { clusterIP: string } }>(['-n', ns, 'get', 'service', 'demo']);
  const url = `http://${svc.spec.clusterIP}/`;
  await eventually('service answers', async () => (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok, 60_000);
  return url;
}

function scenario(ns: string, url: string, canary: string, o: { duration?: number; rate?: number } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), `${ns}-`));
  const file = join(dir, 'scenario.yaml');
  const d = o.duration ?? 70;
  writeFileSync(
    file,
    `name: ${ns}
target: {context: gauntlet-lab, namespace: ${ns}, workload: deployment/demo, url: '${url}'}
duration: ${d}s
load:
  kind: k6
  name: load
  env: {K6_NO_CONNECTION_REUSE: 'true'}
  profile: {kind: constant, rate: ${o.rate ?? 150}, duration: ${d - 2}s}
release:
  kind: canary
  name: canary
  at: 4s
${canary
  .trim()
  .split('\n')
  .map((l) => `  ${l}`)
  .join('\n')}
`,
  );
  return file;
}

async function report(stdout: string): Promise<{ runDir: string; verdict: string; reasons: string[]; figures: Array<{ name: string; value: number; labels?: Record<string, string> }>; marks: string[] }> {
  const out = JSON.parse(stdout);
  const r = JSON.parse(readFileSync(join(out.runDir, 'report.json'), 'utf8'));
  const events = readFileSync(join(out.runDir, 'journal.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  return { runDir: out.runDir, verdict: r.verdict, reasons: r.reasons, figures: r.figures, marks: events.filter((e) => e.type === 'mark').map((e) => e.label as string) };
}

const fig = (r: Awaited<ReturnType<typeof report>>, name: string, labels?: Record<string, string>) =>
  r.figures.find((f) => f.name === name && (!labels || Object.entries(labels).every(([k2, v]) => f.labels?.[k2] === v)))?.value;

async function stableSpec(ns: string): Promise<string> {
  const d = await kjson<{ spec: { template: unknown; replicas: number } }>(['-n', ns, 'get', 'deployment', 'demo']);
  return JSON.stringify({ template: d.spec.template, replicas: d.spec.replicas });
}

async function noCanaryLeft(ns: string): Promise<void> {
  expect((await k(['-n', ns, 'get', 'deployment', 'demo-canary'])).ok).toBe(false);
  await eventually('canary pods gone', async () => (await kk(['-n', ns, 'get', 'pods', '-l', 'gauntlet.dev/canary=demo', '-o', 'name'])).trim() === '', 30_000);
}

describe('canary in the lab', () => {
  beforeAll(async () => {
    await requireLab();
  });
  afterAll(async () => {
    await Promise.all(used.map((ns) => k(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false'])));
  });

  it('a good canary is promoted: stable runs the new version, the canary is removed', async () => {
    const ns = 'canary-good';
    const url = await stable(ns);
    const dir = mkdtempSync(join(tmpdir(), 'canary-good-'));
    const r = await gauntlet(['run', scenario(ns, url, 'env: {VERSION: v2}\nsteps: [10, 50]\nminStep: 3s', { duration: 60 }), '--report-dir', dir, '-o', 'json']);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const rep = await report(r.stdout);
    expect(rep.verdict).toBe('pass');
    expect(rep.marks).toContain('canary weight 25 %');
    expect(rep.marks).toContain('canary weight 50 %');
    expect(rep.marks.some((m) => /^canary advance: canary healthy/.test(m))).toBe(true);
    expect(fig(rep, 'promotionSeconds')).toBeGreaterThan(0);
    expect(rep.marks).toContain('canary attribution: by the version the service reports (stable v1, canary = the first other version)');
    expect(readFileSync(join(rep.runDir, 'report.html'), 'utf8')).toContain('Traffic weight per version');
    const d = await kjson<{ spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value: string }> }> } } }; metadata: { annotations: Record<string, string> } }>(['-n', ns, 'get', 'deployment', 'demo']);
    expect(d.spec.template.spec.containers[0]!.env.find((e) => e.name === 'VERSION')?.value).toBe('v2');
    expect(d.metadata.annotations['gauntlet.dev/promoted']).toBe(rep.runDir.split('/').pop());
    await noCanaryLeft(ns);
    console.log(`good canary: promotionSeconds=${fig(rep, 'promotionSeconds')}`);
  }, 240_000);

  it('a canary serving 20 % errors is rolled back in seconds, with figures in report.json', async () => {
    const ns = 'canary-bad';
    const url = await stable(ns);
    const before = await stableSpec(ns);
    const dir = mkdtempSync(join(tmpdir(), 'canary-bad-'));
    const r = await gauntlet(['run', scenario(ns, url, 'env: {VERSION: v2, ERROR_RATE: "0.2"}\nsteps: [10, 50]', { duration: 25 }), '--report-dir', dir, '-o', 'json']);
    expect(r.code, r.stderr.slice(-3000)).toBe(1);
    const rep = await report(r.stdout);
    expect(rep.verdict).toBe('fail');
    expect(rep.reasons).toContain('gate canary-promoted failed: 0 (want ≥ 1)');
    const rb = rep.marks.find((m) => m.startsWith('canary rollback decided'));
    expect(rb).toMatch(/^canary rollback decided at step 10 %: canary error rate [\d.]+ % vs stable 0 % \(limit 1 %\), \d+ requests, p < 0\.001$/);
    const detection = fig(rep, 'detectionSeconds')!;
    const rollback = fig(rep, 'rollbackSeconds')!;
    expect(detection).toBeGreaterThan(0);
    expect(rollback).toBeGreaterThanOrEqual(detection);
    expect(rollback).toBeLessThan(20);
    expect(fig(rep, 'errorsServed', { role: 'canary' })).toBeGreaterThan(0);
    expect(fig(rep, 'errorsServed', { role: 'stable' })).toBe(0);
    expect(await stableSpec(ns)).toBe(before);
    await noCanaryLeft(ns);
    console.log(`bad canary: detectionSeconds=${detection} rollbackSeconds=${rollback} canaryGoneSeconds=${fig(rep, 'canaryGoneSeconds')} errorsServed canary=${fig(rep, 'errorsServed', { role: 'canary' })}`);
  }, 180_000);

  it('a canary 200 ms slower is rolled back on latency', async () => {
    const ns = 'canary-slow';
    const url = await stable(ns);
    const dir = mkdtempSync(join(tmpdir(), 'canary-slow-'));
    const r = await gauntlet(['run', scenario(ns, url, 'env: {VERSION: v2, LATENCY: 200ms}', { duration: 25 }), '--report-dir', dir, '-o', 'json']);
    expect(r.code, r.stderr.slice(-3000)).toBe(1);
    const rep = await report(r.stdout);
    expect(rep.marks.find((m) => m.startsWith('canary rollback decided'))).toMatch(/canary p99 \d+ ms vs stable [\d.]+ ms: \d+ of \d+ responses slower than/);
    expect(fig(rep, 'detectionSeconds')).toBeGreaterThan(0);
    await noCanaryLeft(ns);
    console.log(`slow canary: detectionSeconds=${fig(rep, 'detectionSeconds')} rollbackSeconds=${fig(rep, 'rollbackSeconds')}`);
  }, 180_000);

  it('a canary that crashes after 5 s is rolled back from its pods', async () => {
    const ns = 'canary-crash';
    const url = await stable(ns);
    const dir = mkdtempSync(join(tmpdir(), 'canary-crash-'));
    const r = await gauntlet(['run', scenario(ns, url, 'env: {VERSION: v2, CRASH_AFTER: 5s}\nminStep: 20s', { duration: 30 }), '--report-dir', dir, '-o', 'json']);
    expect(r.code, r.stderr.slice(-3000)).toBe(1);
    const rep = await report(r.stdout);
    expect(rep.marks.find((m) => m.startsWith('canary rollback decided'))).toMatch(/canary pods restarted 1 time/);
    await noCanaryLeft(ns);
  }, 180_000);

  it('a canary failing readiness is rolled back after its Ready deadline', async () => {
    const ns = 'canary-unready';
    const url = await stable(ns);
    const dir = mkdtempSync(join(tmpdir(), 'canary-unready-'));
    const r = await gauntlet(['run', scenario(ns, url, 'env: {VERSION: v2, READINESS_FAIL: "true"}\nreadyTimeout: 10s', { duration: 30 }), '--report-dir', dir, '-o', 'json']);
    expect(r.code, r.stderr.slice(-3000)).toBe(1);
    const rep = await report(r.stdout);
    expect(rep.marks.find((m) => m.startsWith('canary rollback decided'))).toMatch(/canary pod not Ready after 1\d s \(deadline 10 s\)/);
    expect(rep.marks).toContain('canary figures: the canary served no response (t0 undefined)');
    await noCanaryLeft(ns);
  }, 180_000);

  it('a canary that gets no (attributable) traffic fails after its deadline', async () => {
    const ns = 'canary-notraffic';
    const url = await stable(ns);
    const dir = mkdtempSync(join(tmpdir(), 'canary-notraffic-'));
    // The canary reports v2, the scenario expects v9: none of the traffic is the canary's.
    const r = await gauntlet(['run', scenario(ns, url, 'env: {VERSION: v2}\nversions: {stable: v1, canary: v9}\nnoTraffic: 8s', { duration: 30 }), '--report-dir', dir, '-o', 'json']);
    expect(r.code, r.stderr.slice(-3000)).toBe(1);
    const rep = await report(r.stdout);
    expect(rep.marks.find((m) => m.startsWith('canary rollback decided'))).toMatch(/no traffic reaches the canary: no request for 8 s \(deadline 8 s\)/);
    await noCanaryLeft(ns);
  }, 180_000);

  it('Ctrl-C mid-canary returns to stable and exits 130', async () => {
    const ns = 'canary-sigint';
    const url = await stable(ns);
    const before = await stableSpec(ns);
    const dir = mkdtempSync(join(tmpdir(), 'canary-sigint-'));
    const r = await gauntlet(['run', scenario(ns, url, 'env: {VERSION: v2}\nminStep: 60s', { duration: 60 }), '--report-dir', dir], { signalOn: { pattern: /canary: step 10 %/, signal: 'SIGINT', delayMs: 3000 } });
    expect(r.code, r.stderr.slice(-3000)).toBe(130);
    expect(r.stderr).toMatch(/canary: rollback: interrupted/);
    expect(await stableSpec(ns)).toBe(before);
    await noCanaryLeft(ns);
  }, 180_000);

  it('SIGKILL mid-canary, then recover: the cluster is as it was before the run', async () => {
    const ns = 'canary-sigkill';
    const url = await stable(ns);
    const before = await stableSpec(ns);
    const dir = mkdtempSync(join(tmpdir(), 'canary-sigkill-'));
    const r = await gauntlet(['run', scenario(ns, url, 'env: {VERSION: v2}\nminStep: 60s', { duration: 30 }), '--report-dir', dir], { signalOn: { pattern: /canary: step 10 %/, signal: 'SIGKILL', delayMs: 2000 } });
    expect(r.signal).toBe('SIGKILL');
    expect((await k(['-n', ns, 'get', 'deployment', 'demo-canary'])).ok).toBe(true);
    const runDir = join(dir, readdirSync(dir)[0]!);
    const rec = await gauntlet(['recover', runDir]);
    expect(rec.code, rec.stderr).toBe(0);
    expect(rec.stdout).toMatch(/reverted c\d+: create canary Deployment\/demo-canary/);
    expect(await stableSpec(ns)).toBe(before);
    await noCanaryLeft(ns);
  }, 180_000);
});
