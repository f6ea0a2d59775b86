/**
 * The shipped scenario library in the lab, the cases that must have it to themselves: surge-200
 * (a rate held 3x, which another file's CPU use would move) and spot-storm (lab nodes stopped for
 * seconds; every node is Ready again after each case). As a user runs them (`gauntlet run
 * scenarios/<name>.yaml`), moved to this file's namespace with --set and shortened where the
 * scenario offers it. The node-free scenarios (pod-kill-under-load, canary-rollback, egress-audit)
 * are in scenarios-shared.test.ts, game-day in the main-job e2e (it is `npm start`). (The single-node
 * spot interruption is in chaos.test.ts.)
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { labNodeStart } from '../../lab/index.ts';
import { labNodes, type LabNodes } from './chaos-kit.ts';
import { eventually, k, kjson, requireLab, serviceIp } from './lab-kube.ts';
import { deployDemo, fig, passedOnData, runScenario } from './scenarios-kit.ts';

const NS = 'gameday-scenarios';
const IP = serviceIp('0.192');
/** The lab's workers, from the cluster (lab-node-1..3 on the local lab, gauntlet-lab-worker..3 on kind). */
let N: LabNodes;
const run = (scenario: string, ...set: string[]) => runScenario(NS, IP, scenario, ...set);

async function nodesReady(): Promise<boolean> {
  const l = await kjson(['get', 'nodes']);
  return N.all.every((n) => l.items.find((x: any) => x.metadata.name === n)?.status.conditions.some((c: any) => c.type === 'Ready' && c.status === 'True') && !l.items.find((x: any) => x.metadata.name === n)?.spec.unschedulable);
}

describe('the shipped scenarios in the lab (nodes and rates, alone)', () => {
  beforeAll(async () => {
    await requireLab();
    N = await labNodes();
    await deployDemo(NS, IP);
  });
  afterEach(async () => {
    // Whatever a failed spot case left: nodes started again, our cordons gone.
    for (const n of N.all) {
      const st = (await kjson(['get', 'node', n]).catch(() => undefined)) as any;
      if (!st?.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')) await labNodeStart({ node: n, waitMs: 120_000 }).catch(() => {});
      if (st?.metadata?.annotations && Object.keys(st.metadata.annotations).some((a) => a.startsWith('gauntlet.dev/undo-'))) await k(['uncordon', n]);
    }
  });
  afterAll(async () => {
    await k(['delete', 'namespace', NS, '--ignore-not-found', '--wait=false']);
  });

  it('surge-200: 3x the baseline held within the SLO, headroom reported', async () => {
    const o = await run('surge-200', 'baseline=30', 'hold=10s', 'duration=60s');
    passedOnData(o);
    expect(fig(o, 'surgeMultipleHeld')[0]!.value).toBe(3);
    expect(fig(o, 'p99Headroom')[0]!.value).toBeGreaterThan(0);
    expect(o.marks.some((m) => /^surge: held 3\.0x for 10s/.test(m))).toBe(true);
  }, 240_000);

  it('spot-storm: both spot nodes interrupted in turn under load; nothing lost at T, errors and recovery gated', async () => {
    const o = await run('spot-storm', 'rate=30');
    passedOnData(o);
    expect(fig(o, 'replacementReadySeconds').map((f) => f.labels?.node).sort()).toEqual(N.spot);
    expect(fig(o, 'podsKilledAtT').every((f) => f.value === 0)).toBe(true);
    // Staggered: the second node went 20 s after the first, so they were never down together.
    const gone = o.markTimes.filter((m) => /is gone \(T\)/.test(m.label)).map((m) => m.t);
    expect(gone).toHaveLength(2);
    expect(gone[1]! - gone[0]!).toBeGreaterThan(15_000);
    await eventually('every node Ready and schedulable again', nodesReady, 120_000);
  }, 300_000);
});
