/**
 * Node and pod faults against the real lab, each under live traffic (an http-probe through the
 * workload's Service): a spot interruption with a shortened notice (drained before T through the
 * PDB, node gone at T, replacement Ready), a drain a PDB blocks until it allows, a taint, a node
 * loss, and SIGKILLed runs whose changes `gauntlet recover` undoes. (Pod faults, which touch no
 * node, are in chaos-pods.test.ts and share the lab with other files.)
 *
 * The lab is shared: every node change here is short and restored in afterEach/finally. Node names,
 * spot labels and Service addresses come from the lab under test (GAUNTLET_LAB_PROVIDER: the local
 * lab or kind, where a node loss stops the node's container).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IMAGES, labNodeStart } from '../../lab/index.ts';
import { deploy, figures, gauntlet, journalOf, labNodes, nodeRunning, nodeState, podsOf, restoreNodes, runDirOf, scenario, type LabNodes } from './chaos-kit.ts';
import { runGauntlet } from '../support/cli.ts';
import { eventually, k, kjson, kk, labKubeconfig, requireLab, serviceIp } from './lab-kube.ts';

describe('chaos in the lab', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gauntlet-chaos-'));
  const namespaces: string[] = [];
  let before: Record<string, unknown>;
  let N: LabNodes;
  /** The on-demand node (lab-node-3 on the local lab): the taint, drain and loss target. */
  let od: string;

  beforeAll(async () => {
    await requireLab();
    N = await labNodes();
    od = N.onDemand[0]!;
    before = await nodeState();
  });
  afterEach(async () => {
    // Whatever a failed test left: nodes back, our taints and cordons gone.
    await restoreNodes();
    const now = await nodeState();
    for (const n of N.all) {
      const s = now[n] as { taints: string[]; ours: string[]; unschedulable: boolean };
      if (s.ours.length || (s.unschedulable && !(before[n] as { unschedulable: boolean }).unschedulable)) await k(['uncordon', n]);
      for (const t of s.taints.filter((t) => /^(aws-node-termination-handler|karpenter\.sh|chaos\.gauntlet\.dev)\//.test(t))) await k(['taint', 'node', n, `${t.split('=')[0]}-`]);
    }
  });
  afterAll(async () => {
    for (const ns of namespaces) await k(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
  });

  it('plan names the node, the pods a drain would evict and what their PDB allows; a selection over the cap exits 2', async () => {
    const ns = 'chaos-plan';
    namespaces.push(ns);
    await deploy(ns, serviceIp('0.129'), 3, 2);
    const node = (await podsOf(ns))[0]!.node;
    const file = scenario(dir, 'chaos-plan', ns, serviceIp('0.129'), '60s', `  - {kind: spot-interruption, name: spot, at: 1s, duration: 40s, notice: 20s, nodes: {names: [${node}]}}
  - {kind: pod-failure, name: fail, at: 1s, duration: 5s, selector: app=demo}`);
    const p = await gauntlet(['plan', file]);
    expect(p.code, p.stderr).toBe(0);
    const pod = (await podsOf(ns)).find((x) => x.node === node)!.name;
    expect(p.stdout).toContain(`node ${node} (`);
    expect(p.stdout).toContain(`${ns}/${pod}`);
    expect(p.stdout).toMatch(new RegExp(`PDB ${ns}/demo \\(minAvailable 2\\) guards 1 of these pods and allows 1 disruption`));
    expect(p.stdout).toMatch(new RegExp(`pods chaos-plan/demo-\\S+ on (${N.all.join('|')}) \\(1 of 3 matching`));
    const over = scenario(dir, 'chaos-plan-over', ns, serviceIp('0.129'), '60s', `  - {kind: node-loss, name: loss, at: 1s, duration: 5s, nodes: {spot: true, percent: 100}}`);
    const refused = await gauntlet(['plan', over]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toMatch(/WOULD REFUSE: the fault would hit 2 nodes .* over its blast-radius cap of 1/);
    expect(await nodeState()).toEqual(before);
  }, 120_000);

  it('spot interruption with a 12 s notice: pods drained through the PDB before T, the node gone at T, a replacement Ready', async () => {
    const ns = 'chaos-spot';
    namespaces.push(ns);
    await deploy(ns, serviceIp('0.121'), 3, 2);
    const node = (await podsOf(ns)).map((p) => p.node).find((n) => N.spot.includes(n))!;
    expect(node).toBeDefined();
    const out = mkdtempSync(join(dir, 'spot-'));
    // Notice at 7 s, T at 19 s; the lab's replacement is Ready ~9 s after T (CI, 2026-12-03), the window ends at 35 s.
    const file = scenario(dir, 'chaos-spot', ns, serviceIp('0.121'), '40s', `  - kind: spot-interruption
    name: spot
    at: 5s
    duration: 30s
    nodes: {spot: true, names: [${node}]}
    notice: 12s
    rebalance: 2s
    evictionRetry: 1s
    replacement: true`, `  - {name: nothing-lost, metric: podsKilledAtT, max: 0}
  - {name: load-served, metric: error_rate, step: load, max: 2%}
`, `load: {kind: k6, name: load, at: 2s, profile: {kind: constant, rate: 20, duration: 36s}}
`);
    const run = await gauntlet(['run', file, '--report-dir', out]);
    const runDir = runDirOf(out);
    const events = journalOf(runDir);
    expect(events.filter((e) => e.type === 'window' && e.step === 'load').length).toBeGreaterThan(30); // real k6 load throughout
    console.log(`spot: ${['noticeToDrainedSeconds', 'podsEvictedBeforeT', 'podsKilledAtT', 'displacedReadySeconds', 'replacementReadySeconds', 'requestsFailed'].map((f) => `${f}=${figures(events, f)[0]?.value}`).join(' ')}`);
    expect(run.code, run.stderr).toBe(0);
    expect(figures(events, 'podsEvictedBeforeT')[0]).toMatchObject({ labels: { node } });
    expect(figures(events, 'podsEvictedBeforeT')[0].value).toBeGreaterThanOrEqual(1);
    expect(figures(events, 'podsKilledAtT')[0].value).toBe(0);
    expect(figures(events, 'noticeToDrainedSeconds')[0].value).toBeLessThan(12);
    expect(figures(events, 'displacedReadySeconds')).toHaveLength(1);
    expect(figures(events, 'replacementReadySeconds')).toHaveLength(1);
    expect(events.some((e) => e.type === 'mark' && /is gone \(T\)/.test(e.label))).toBe(true);
    const fis = JSON.parse(readFileSync(join(runDir, 'fis-spot.json'), 'utf8'));
    expect(fis.actions.interrupt.actionId).toBe('aws:ec2:send-spot-instance-interruptions');
    // The PDB (minAvailable 2 of 3) held: the workload never dropped below it while draining.
    expect((await podsOf(ns)).filter((p) => p.ready).length).toBe(3);
    await eventually('node Ready again', async () => ((await nodeState())[node] as { ready: boolean }).ready, 60_000);
    expect((await nodeState())[node]).toEqual(before[node]);
  }, 240_000);

  it('node-drain is blocked by a PodDisruptionBudget until it allows, then evicts; revert uncordons', async () => {
    const ns = 'chaos-drain';
    namespaces.push(ns);
    await deploy(ns, serviceIp('0.122'), 2, 2);
    const node = (await podsOf(ns))[0]!.node;
    const out = mkdtempSync(join(dir, 'drain-'));
    const file = scenario(dir, 'chaos-drain', ns, serviceIp('0.122'), '30s', `  - kind: node-drain
    name: drain
    at: 3s
    duration: 22s
    nodes: {names: [${node}]}
    evictionRetry: 1s`);
    const running = gauntlet(['run', file, '--report-dir', out]);
    await eventually('node cordoned', async () => ((await nodeState())[node] as { unschedulable: boolean }).unschedulable, 30_000, 500);
    await new Promise((r) => setTimeout(r, 5000));
    expect((await podsOf(ns)).some((p) => p.node === node)).toBe(true); // the PDB holds it
    await kk(['-n', ns, 'patch', 'pdb', 'demo', '--type=merge', '-p', '{"spec":{"minAvailable":1}}']);
    await eventually('pod moved off the node', async () => !(await podsOf(ns)).some((p) => p.node === node), 30_000, 500);
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    const events = journalOf(runDirOf(out));
    expect(events.some((e) => e.type === 'mark' && /blocked by a PodDisruptionBudget/.test(e.label))).toBe(true);
    expect(figures(events, 'podsEvicted')[0].value).toBe(1);
    expect(figures(events, 'podsBlocked')[0].value).toBe(0);
    expect(figures(events, 'drainSeconds')[0].value).toBeGreaterThan(5);
    expect((await nodeState())[node]).toEqual(before[node]);
  }, 180_000);

  it('node-taint adds its taint for the window and removes exactly it', async () => {
    const ns = 'chaos-taint';
    namespaces.push(ns);
    await deploy(ns, serviceIp('0.123'), 2, 1);
    const out = mkdtempSync(join(dir, 'taint-'));
    const file = scenario(dir, 'chaos-taint', ns, serviceIp('0.123'), '12s', `  - kind: node-taint
    name: taint
    at: 2s
    duration: 5s
    nodes: {names: [${od}]}
    key: chaos.gauntlet.dev/test
    value: x
    effect: NoSchedule`);
    const running = gauntlet(['run', file, '--report-dir', out]);
    await eventually('tainted', async () => ((await nodeState())[od] as { taints: string[] }).taints.includes('chaos.gauntlet.dev/test=x:NoSchedule'), 20_000, 500);
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    expect((await nodeState())[od]).toEqual(before[od]);
  }, 120_000);

  it('node-loss stops a node for the window (kubelet and runtime), measures NotReady and rescheduling, and brings it back', async () => {
    const ns = 'chaos-loss';
    namespaces.push(ns);
    await deploy(ns, serviceIp('0.127'), 2, 1);
    const node = (await podsOf(ns)).find((p) => p.node === od)?.node ?? (await podsOf(ns))[0]!.node;
    const out = mkdtempSync(join(dir, 'loss-'));
    // NotReady ~20 s and the pods rescheduled ~31 s into the loss (CI, 2026-12-03): a 40 s window.
    const file = scenario(dir, 'chaos-loss', ns, serviceIp('0.127'), '48s', `  - kind: node-loss
    name: loss
    at: 3s
    duration: 40s
    nodes: {names: [${node}]}`, '');
    try {
      const run = await gauntlet(['run', file, '--report-dir', out]);
      const events = journalOf(runDirOf(out));
      console.log(`node-loss ${node}: notReadySeconds=${figures(events, 'notReadySeconds')[0]?.value} rescheduledSeconds=${figures(events, 'rescheduledSeconds')[0]?.value}`);
      expect(figures(events, 'notReadySeconds')[0].value).toBeGreaterThan(0);
      expect(figures(events, 'rescheduledSeconds')[0].value).toBeGreaterThan(figures(events, 'notReadySeconds')[0].value);
      expect([0, 1]).toContain(run.code); // the served gate judges the probe through the loss; the fault itself must have run and reverted
      await eventually('node Ready again', async () => ((await nodeState())[node] as { ready: boolean }).ready, 60_000);
    } finally {
      await labNodeStart({ node }).catch(() => {});
    }
  }, 180_000);

  it('Ctrl-C mid-fault reverts within 10 s and exits 130', async () => {
    const ns = 'chaos-sigint';
    namespaces.push(ns);
    await deploy(ns, serviceIp('0.128'), 1, 0);
    const out = mkdtempSync(join(dir, 'sigint-'));
    const file = scenario(dir, 'chaos-sigint', ns, serviceIp('0.128'), '60s', `  - {kind: node-taint, name: taint, at: 1s, nodes: {names: [${od}]}, key: chaos.gauntlet.dev/sigint, effect: NoSchedule}`);
    // Ctrl-C 2 s after the fault is injected; the window would run 59 s.
    const run = await runGauntlet(['run', file, '--report-dir', out], { env: { KUBECONFIG: labKubeconfig() }, signalOn: { pattern: /fault taint: taint/, signal: 'SIGINT', delayMs: 2000 } });
    expect(run.code, run.stderr).toBe(130);
    expect((await nodeState())[od]).toEqual(before[od]);
    const events = journalOf(runDirOf(out));
    const start = events.find((e) => e.type === 'fault.start');
    const end = events.find((e) => e.type === 'fault.end');
    expect(events.some((e) => e.type === 'change.reverted')).toBe(true);
    expect(end.t - start.t).toBeLessThan(2000 + 10_000);
  }, 120_000);

  it('SIGKILL mid-fault, then `gauntlet recover` puts nodes, pods and policies back as they were', async () => {
    const ns = 'chaos-crash';
    namespaces.push(ns);
    await deploy(ns, serviceIp('0.126'), 2, 1);
    const pods = await podsOf(ns);
    const out = mkdtempSync(join(dir, 'crash-'));
    const file = scenario(dir, 'chaos-crash', ns, serviceIp('0.126'), '60s', `  - {kind: node-taint, name: taint, at: 1s, nodes: {names: [${od}]}, key: chaos.gauntlet.dev/crash, effect: NoSchedule}
  - {kind: node-drain, name: drain, at: 1s, nodes: {names: [${od}]}, evictionRetry: 1s}
  - {kind: pod-failure, name: fail, at: 1s, selector: app=demo, image: "${IMAGES.pause}"}
  - {kind: network-partition, name: cut, at: 1s, selector: app=demo}`);
    const run = await gauntlet(['run', file, '--report-dir', out], /fault cut: create NetworkPolicy/, 3000);
    expect(run.signal).toBe('SIGKILL');
    const hit = await nodeState();
    expect((hit[od] as { unschedulable: boolean }).unschedulable).toBe(true);
    expect((await kjson(['-n', ns, 'get', 'networkpolicy'])).items).toHaveLength(1);
    const rec = await gauntlet(['recover', runDirOf(out)]);
    expect(rec.code, rec.stderr + rec.stdout).toBe(0);
    expect(await nodeState()).toEqual(before);
    expect((await kjson(['-n', ns, 'get', 'networkpolicy'])).items).toEqual([]);
    await eventually('pods as before', async () => {
      const now = await podsOf(ns);
      return now.length === pods.length && now.every((p) => p.image === IMAGES.demoV1 && p.ready);
    }, 60_000, 1000);
    expect((await gauntlet(['recover', runDirOf(out)])).stdout).toMatch(/nothing to recover/);
  }, 180_000);

  it('SIGKILL mid spot-interruption (tainted and cordoned, drain blocked by the PDB), then `gauntlet recover`: the node as before', async () => {
    const ns = 'chaos3-spotcrash';
    namespaces.push(ns);
    await deploy(ns, serviceIp('0.182'), 2, 2);
    const node = (await podsOf(ns)).map((p) => p.node).find((n) => N.spot.includes(n))!;
    expect(node).toBeDefined();
    const out = mkdtempSync(join(dir, 'spotcrash-'));
    const file = scenario(dir, 'chaos3-spotcrash', ns, serviceIp('0.182'), '60s', `  - {kind: spot-interruption, name: spot, at: 1s, duration: 50s, notice: 40s, evictionRetry: 1s, nodes: {spot: true, names: [${node}]}}`);
    try {
      const run = await gauntlet(['run', file, '--report-dir', out], /fault spot: spot-interrupt node/, 4000);
      expect(run.signal).toBe('SIGKILL');
      const hit = (await nodeState())[node] as { unschedulable: boolean; taints: string[]; ours: string[] };
      expect(hit.unschedulable).toBe(true);
      expect(hit.taints.some((t) => t.startsWith('aws-node-termination-handler/spot-itn='))).toBe(true);
      expect(journalOf(runDirOf(out)).some((e) => e.type === 'mark' && /blocked by a PodDisruptionBudget/.test(e.label))).toBe(true);
      const rec = await gauntlet(['recover', runDirOf(out)]);
      expect(rec.code, rec.stderr + rec.stdout).toBe(0);
      expect(await nodeState()).toEqual(before);
      expect((await podsOf(ns)).filter((p) => p.ready)).toHaveLength(2);
      expect((await gauntlet(['recover', runDirOf(out)])).stdout).toMatch(/nothing to recover/);

      // Killed after T: the node was stopped (no replacement asked); recover starts it and clears our marks.
      const out2 = mkdtempSync(join(dir, 'spotcrash-t-'));
      const atT = scenario(dir, 'chaos3-spotcrash-t', ns, serviceIp('0.182'), '60s', `  - {kind: spot-interruption, name: spot, at: 1s, duration: 50s, notice: 3s, evictionRetry: 1s, nodes: {spot: true, names: [${node}]}}`);
      const run2 = await gauntlet(['run', atT, '--report-dir', out2], /fault spot: spot-interrupt node/, 12_000);
      expect(run2.signal).toBe('SIGKILL');
      expect(await nodeRunning(node)).toBe(false);
      const rec2 = await gauntlet(['recover', runDirOf(out2)]);
      expect(rec2.code, rec2.stderr + rec2.stdout).toBe(0);
      await eventually(`${node} Ready`, async () => ((await nodeState())[node] as { ready: boolean }).ready, 60_000);
      expect(await nodeState()).toEqual(before);
    } finally {
      await restoreNodes();
    }
  }, 180_000);

  it('journal lost: SIGKILL mid node-loss and partition, run dir deleted, `recover --run-id` lists then undoes from the cluster\'s marks', async () => {
    const ns = 'chaos3-nojournal';
    namespaces.push(ns);
    await deploy(ns, serviceIp('0.183'), 2, 1);
    const out = mkdtempSync(join(dir, 'nojournal-'));
    const file = scenario(dir, 'chaos3-nojournal', ns, serviceIp('0.183'), '60s', `  - {kind: network-partition, name: cut, at: 1s, selector: app=demo}
  - {kind: node-loss, name: loss, at: 1s, nodes: {names: [${od}]}}`);
    try {
      const run = await gauntlet(['run', file, '--report-dir', out], /fault loss: stop node/, 4000);
      expect(run.signal).toBe('SIGKILL');
      expect(await nodeRunning(od)).toBe(false);
      const runDir = runDirOf(out);
      const runId = basename(runDir);
      rmSync(runDir, { recursive: true });
      const noJournal = await gauntlet(['recover', runDir]);
      expect(noJournal.code).toBe(2);
      expect(noJournal.stderr).toContain(`gauntlet recover --run-id ${runId}`);
      const dry = await gauntlet(['recover', '--run-id', runId, '--dry-run']);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain(`node ${od} (step loss): start the stopped lab node, drop the undo mark`);
      expect(dry.stdout).toContain(`NetworkPolicy ${ns}/gauntlet-partition-cut: delete it`);
      expect(await nodeRunning(od)).toBe(false);
      expect((await kjson(['-n', ns, 'get', 'networkpolicy'])).items).toHaveLength(1);
      const rec = await gauntlet(['recover', '--run-id', runId]);
      expect(rec.code, rec.stderr + rec.stdout).toBe(0);
      expect(rec.stderr).toContain(`kubeconfig ${labKubeconfig()}`);
      expect((await kjson(['-n', ns, 'get', 'networkpolicy'])).items).toEqual([]);
      await eventually(`${od} Ready`, async () => ((await nodeState())[od] as { ready: boolean }).ready, 60_000);
      expect(await nodeState()).toEqual(before);
      expect((await gauntlet(['recover', '--run-id', runId])).stdout).toMatch(/nothing to recover/);
    } finally {
      await restoreNodes();
    }
  }, 150_000);

  it('SIGKILL while a node is lost, then `gauntlet recover` starts it again', async () => {
    const out = mkdtempSync(join(dir, 'crash-loss-'));
    const file = scenario(dir, 'chaos-crash-loss', 'chaos-crash', serviceIp('0.126'), '60s', `  - {kind: node-loss, name: loss, at: 1s, nodes: {names: [${od}]}}`);
    try {
      const run = await gauntlet(['run', file, '--report-dir', out], /fault loss: stop node/, 3000);
      expect(run.signal).toBe('SIGKILL');
      const rec = await gauntlet(['recover', runDirOf(out)]);
      expect(rec.code, rec.stderr + rec.stdout).toBe(0);
      expect(rec.stdout).toMatch(new RegExp(`reverted c\\d+: stop node ${od}`));
      await eventually(`${od} Ready`, async () => ((await nodeState())[od] as { ready: boolean }).ready, 60_000);
      expect(await nodeState()).toEqual(before);
    } finally {
      await restoreNodes();
    }
  }, 180_000);
});
