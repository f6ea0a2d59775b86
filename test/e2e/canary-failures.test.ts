/**
 * The canary strategy end to end in the lab, second half (canary.test.ts has the first): a canary
 * failing readiness, one that gets no traffic, Ctrl-C and SIGKILL + recover mid-canary. Each case
 * has its own namespace (prefix canary-) and removes it afterwards.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { k, requireLab } from './lab-kube.ts';
import { gauntlet, noCanaryLeft, report, scenario, stable, stableSpec, used } from './canary-kit.ts';

describe('canary in the lab: failures and interruptions', () => {
  beforeAll(async () => {
    await requireLab();
  });
  afterAll(async () => {
    await Promise.all(used.map((ns) => k(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false'])));
  });

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
