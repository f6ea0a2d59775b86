/**
 * The main job (`npm start`) end to end: the shipped lab-demo scenario deploys the demo service
 * into the lab, loads and probes it, evicts a pod, passes its gates with real measurements, and
 * leaves the cluster as it found it.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runGauntlet } from '../support/cli.ts';
import { k, requireLab, labKubeconfig } from './lab-kube.ts';

const gauntlet = (args: string[]) => runGauntlet(args, { env: { KUBECONFIG: labKubeconfig() } });

describe('main job: scenarios/lab-demo.yaml in the lab', () => {
  beforeAll(async () => {
    await requireLab();
    await k(['delete', 'namespace', 'gauntlet-demo', '--ignore-not-found', '--wait=true', '--timeout=120s']);
  });

  it('passes every gate on real measurements and removes what it deployed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gauntlet-main-'));
    const r = await gauntlet(['run', 'scenarios/lab-demo.yaml', '--report-dir', dir, '-o', 'json']);
    expect(r.stderr).toMatch(/using context gauntlet-lab/);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.verdict).toBe('pass');
    for (const g of out.gates) expect(g.samples, g.name).toBeGreaterThan(0);
    const report = JSON.parse(readFileSync(join(out.runDir, 'report.json'), 'utf8'));
    const figure = (name: string) => report.figures.find((f: { name: string }) => f.name === name);
    expect(figure('recoverySeconds')?.value).toBeGreaterThan(0);
    expect(figure('rolloutSeconds')?.value).toBeGreaterThan(0);
    // k6 delivered the asked 100 req/s and its version is in the provenance.
    expect(report.provenance.tools.k6).toMatch(/^v1\./);
    expect(report.provenance.tools.kubernetes).toMatch(/^v1\.34/);
    // Every change was reverted: the namespace it created is gone.
    const ns = await k(['get', 'namespace', 'gauntlet-demo']);
    expect(ns.ok).toBe(false);
    expect(ns.stderr).toMatch(/NotFound/);
  }, 240_000);
});
