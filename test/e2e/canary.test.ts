/**
 * The canary strategy end to end in the lab: real pods, real Service endpoints, real k6 load
 * (per-request connections, so the Service's replica ratio is the traffic split). The stable
 * demo service is set up with kubectl before each run, as a team's existing Deployment would be;
 * each case has its own namespace (prefix canary-) and removes it afterwards. Promotion and the
 * rollbacks on errors, latency and crashes; the other failures are in canary-failures.test.ts, so
 * the two halves run side by side in the e2e-shared pass.
 */

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { k, kjson, requireLab } from './lab-kube.ts';
import { fig, gauntlet, noCanaryLeft, report, scenario, stable, stableSpec, used } from './canary-kit.ts';

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
});
