/**
 * Pod faults against the real lab, each under live traffic: a pod failure, a container kill under k6
 * load, a network partition. No node is touched, so this file shares the lab with the other
 * e2e-shared files (vitest.config.ts); the node faults are in chaos.test.ts.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGES } from '../../lab/index.ts';
import { deploy, figures, gauntlet, journalOf, podsOf, runDirOf, scenario } from './chaos-kit.ts';
import { eventually, k, kjson, kk, requireLab, serviceIp } from './lab-kube.ts';

describe('pod faults in the lab', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gauntlet-chaos-pods-'));
  const namespaces: string[] = [];

  beforeAll(async () => {
    await requireLab();
  });
  afterAll(async () => {
    for (const ns of namespaces) await k(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
  });

  it('pod-failure makes one pod unable to serve for the window, then restores its image', async () => {
    const ns = 'chaos-podfail';
    namespaces.push(ns);
    await deploy(ns, serviceIp('0.124'), 2, 1);
    const out = mkdtempSync(join(dir, 'podfail-'));
    const file = scenario(dir, 'chaos-podfail', ns, serviceIp('0.124'), '25s', `  - kind: pod-failure
    name: fail
    at: 2s
    duration: 12s
    selector: app=demo
    image: ${IMAGES.pause}`);
    const running = gauntlet(['run', file, '--report-dir', out]);
    const hit = await eventually('one pod on pause, not Ready', async () => (await podsOf(ns)).find((p) => p.image === IMAGES.pause && !p.ready), 20_000, 500);
    expect((await podsOf(ns)).filter((p) => p.image === IMAGES.demoV1 && p.ready)).toHaveLength(1);
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    await eventually('restored and Ready', async () => (await podsOf(ns)).find((p) => p.name === hit.name && p.image === IMAGES.demoV1 && p.ready), 30_000, 500);
    expect(figures(journalOf(runDirOf(out)), 'podsFailed')[0].value).toBe(1);
  }, 120_000);


  it('container-kill under k6 load: the container restarts (restartCount up), the pod and its UID stay, figures in report.json', async () => {
    const ns = 'chaos3-ckill';
    namespaces.push(ns);
    await deploy(ns, serviceIp('0.181'), 2, 1);
    const uids = async () => Object.fromEntries((await kjson(['-n', ns, 'get', 'pods', '-l', 'app=demo'])).items.map((p: any) => [p.metadata.name, { uid: p.metadata.uid, restarts: p.status.containerStatuses[0].restartCount }]));
    const beforePods = await uids();
    const out = mkdtempSync(join(dir, 'ckill-'));
    const file = scenario(dir, 'chaos3-ckill', ns, serviceIp('0.181'), '22s', `  - {kind: container-kill, name: ckill, at: 5s, duration: 14s, selector: app=demo, container: demo}`, '', `load: {kind: k6, name: load, at: 1s, profile: {kind: constant, rate: 20, duration: 19s}}
`);
    const run = await gauntlet(['run', file, '--report-dir', out]);
    const runDir = runDirOf(out);
    const events = journalOf(runDir);
    const fig = (n: string) => figures(events, n)[0];
    console.log(`container-kill: runningAgainSeconds=${fig('runningAgainSeconds')?.value} restarts=${fig('restarts')?.value} requestsFailed=${fig('requestsFailed')?.value}`);
    expect(run.code, run.stderr).toBe(0);
    expect(events.filter((e) => e.type === 'window' && e.step === 'load').length).toBeGreaterThan(10); // real k6 load throughout
    const victim = fig('restarts').labels.pod as string;
    const afterPods = await uids();
    expect(Object.keys(afterPods).sort()).toEqual(Object.keys(beforePods).sort());
    for (const [name, b] of Object.entries(beforePods) as Array<[string, { uid: string; restarts: number }]>) {
      expect(afterPods[name].uid).toBe(b.uid);
      expect(afterPods[name].restarts).toBe(b.restarts + (name === victim ? 1 : 0));
    }
    expect(fig('restarts').value).toBe(1);
    expect(fig('runningAgainSeconds').value).toBeGreaterThan(0);
    expect(fig('runningAgainSeconds').value).toBeLessThan(14);
    const report = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8'));
    expect(report.figures.map((f: any) => f.name)).toEqual(expect.arrayContaining(['runningAgainSeconds', 'restarts', 'requestsFailed']));
  }, 120_000);


  it('network-partition cuts the pods off for the window, then the policy is gone and traffic flows', async () => {
    const ns = 'chaos-partition';
    namespaces.push(ns);
    await deploy(ns, serviceIp('0.125'), 2, 1);
    await kk(['-n', ns, 'run', 'client', `--image=${IMAGES.probe}`, '--image-pull-policy=Never', '--restart=Never', '--command', '--', 'sleep', '3600']);
    await kk(['-n', ns, 'wait', '--for=condition=Ready', 'pod/client', '--timeout=60s']);
    const reach = async () => (await k(['-n', ns, 'exec', 'client', '--', '/bin/probe', '-timeout=2s', 'http', 'http://demo/readyz'])).ok;
    expect(await reach()).toBe(true);
    const out = mkdtempSync(join(dir, 'partition-'));
    const file = scenario(dir, 'chaos-partition', ns, serviceIp('0.125'), '30s', `  - kind: network-partition
    name: cut
    at: 2s
    duration: 18s
    selector: app=demo
    direction: ingress`, '');
    const running = gauntlet(['run', file, '--report-dir', out]);
    await eventually('partition seen by the probe', async () => !(await reach()), 20_000, 500);
    const run = await running;
    // Only pod traffic is cut: the lab's enforcer lets the host's own probe through (observed), so the run passes.
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(runDirOf(out), 'journal.ndjson'), 'utf8')).toMatch(/create NetworkPolicy\/gauntlet-partition-cut/);
    expect((await kjson(['-n', ns, 'get', 'networkpolicy'])).items).toEqual([]);
    await eventually('partition lifted', reach, 20_000, 500);
  }, 120_000);
});
