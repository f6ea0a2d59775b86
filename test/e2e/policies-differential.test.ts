/**
 * The differential conformance run (bench/policies-differential.ts) under the lab's upstream
 * kube-router enforcer: seeded random NetworkPolicies applied, every workload's egress probed, no
 * disagreement with `policies check` allowed but the one kube-router is known to have. It needs a lab brought up with `gauntlet lab up
 * --enforcer kube-router` (after `bash scripts/tools/build-kube-router.sh`) and is skipped on any
 * other lab, so CI's default lab sequence (gauntlet-netpol) does not run it. Traffic goes only to
 * the lab's own hosts and pods.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labPaths } from '../../lab/index.ts';
import { readSpec } from '../../lab/providers/local/up.ts';
import { requireLab } from './lab-kube.ts';

const root = join(import.meta.dirname, '..', '..');
const kubeRouterLab = readSpec(labPaths())?.enforcer === 'kube-router';
// Runs only on a lab brought up with `gauntlet lab up --enforcer kube-router` (the default lab runs
// gauntlet-netpol); say so instead of skipping silently.
if (!kubeRouterLab) console.warn('kube-router differential e2e skipped: the lab runs gauntlet-netpol (gauntlet lab up --enforcer kube-router runs it)');

describe.skipIf(!kubeRouterLab)(`differential conformance under kube-router${kubeRouterLab ? '' : ' (skipped: the lab runs gauntlet-netpol; npm test\'s lab does, see DEVELOPERS.md "Skipped tests"; gauntlet lab up --enforcer kube-router)'}`, () => {
  it('agrees with the analysis on every seeded random case', async () => {
    await requireLab();
    const r = spawnSync(join(root, 'node_modules/.bin/node'), ['bench/policies-differential.ts', '--cases', '12', '--seed', '11', '--prefix', 'e2e-kr'], { cwd: root, encoding: 'utf8', timeout: 600_000 });
    const summary = r.stdout.split('\n').find((l) => l.startsWith('differential (kube-router):'));
    expect(summary, r.stdout + r.stderr).toBeDefined();
    // Every case agrees, or differs only where kube-router is known to (an except in one ipBlock peer
    // overriding another peer of the same rule, docs/policies.md); no other disagreement.
    const [, agreed, known] = /12 cases, (\d+) agreed with the analysis, (\d+) differ only as kube-router is known to/.exec(summary!) ?? [];
    expect(Number(agreed) + Number(known), summary).toBe(12);
    expect(summary).toMatch(/, 0 unexplained;/);
  }, 660_000);
});
