/** Recovery without the journal: the undo state on the objects is enough, and only the named run's is touched. */
import { describe, expect, it } from 'vitest';
import type { Kube } from '../core/kube.ts';
import { changeNode, undoKey } from './nodes.ts';
import { planRunMarks, sweepRunMarks } from './sweep.ts';

function cluster() {
  const nodes: any[] = [{ metadata: { name: 'n1', annotations: {} }, spec: {} }, { metadata: { name: 'n2', annotations: {} }, spec: {} }];
  const pods: any[] = [{ metadata: { name: 'a', namespace: 'shop', annotations: { [undoKey('fail')]: JSON.stringify({ runId: 'r1', images: { web: 'shop:v3' } }) } }, spec: { containers: [{ name: 'web', image: 'pause' }] } }];
  const policies: any[] = [{ metadata: { name: 'gauntlet-partition-cut', namespace: 'shop', annotations: { 'gauntlet.dev/run-id': 'r1' } } }, { metadata: { name: 'gauntlet-partition-cut', namespace: 'other', annotations: { 'gauntlet.dev/run-id': 'r2' } } }];
  const all = (kind: string) => (kind === 'Node' ? nodes : kind === 'Pod' ? pods : policies);
  const kube = {
    async list({ kind }: { kind: string }) {
      return { items: structuredClone(all(kind)), resourceVersion: '1' };
    },
    async get({ kind, name }: { kind: string; name: string }) {
      return structuredClone(all(kind).find((x) => x.metadata.name === name));
    },
    async patch(obj: any) {
      const o = all(obj.kind).find((x) => x.metadata.name === obj.metadata.name);
      for (const [k, v] of Object.entries(obj.metadata.annotations ?? {})) {
        if (v === null) delete o.metadata.annotations[k];
        else o.metadata.annotations[k] = v;
      }
      if (obj.kind === 'Pod') for (const c of obj.spec.containers) o.spec.containers.find((x: any) => x.name === c.name).image = c.image;
      else for (const [k, v] of Object.entries(obj.spec ?? {})) v === null ? delete o.spec[k] : (o.spec[k] = v);
      return o;
    },
    async delete({ name, namespace }: { name: string; namespace: string }) {
      const i = policies.findIndex((p) => p.metadata.name === name && p.metadata.namespace === namespace);
      if (i < 0) return 'absent';
      policies.splice(i, 1);
      return 'deleted';
    },
  } as unknown as Kube;
  return { kube, nodes, pods, policies };
}

describe('sweepRunMarks', () => {
  it('undoes a run\'s cordons, taints, pod images and partitions from the cluster alone, and leaves other runs\' changes', async () => {
    const c = cluster();
    await changeNode(c.kube, 'n1', 'drain', 'r1', { cordon: true, taints: [{ key: 'x/y', effect: 'NoSchedule' }] });
    await changeNode(c.kube, 'n2', 'drain', 'r2', { cordon: true });
    const done = await sweepRunMarks(c.kube, 'r1');
    expect(done).toHaveLength(3);
    expect(c.nodes[0].spec).toEqual({ unschedulable: false });
    expect(c.nodes[1].spec.unschedulable).toBe(true);
    expect(c.pods[0].spec.containers[0].image).toBe('shop:v3');
    expect(c.policies.map((p) => p.metadata.namespace)).toEqual(['other']);
    expect(await sweepRunMarks(c.kube, 'r1')).toEqual([]);
  });
});

describe('planRunMarks', () => {
  it('lists what the run left and what undoing it means, changing nothing', async () => {
    const c = cluster();
    await changeNode(c.kube, 'n1', 'drain', 'r1', { cordon: true, taints: [{ key: 'x/y', effect: 'NoSchedule' }] });
    const snapshot = structuredClone({ n: c.nodes, p: c.pods, np: c.policies });
    const plan = await planRunMarks(c.kube, 'r1');
    expect(plan.map((i) => [i.object, i.undo])).toEqual([
      ['node n1', 'uncordon, remove taint x/y:NoSchedule, drop the undo mark'],
      ['pod shop/a', 'restore image web=shop:v3, drop the undo mark'],
      ['NetworkPolicy shop/gauntlet-partition-cut', 'delete it (injected by network-partition)'],
    ]);
    expect({ n: c.nodes, p: c.pods, np: c.policies }).toEqual(snapshot);
    expect(await planRunMarks(c.kube, 'r-none')).toEqual([]);
  });
  it('a "stopped" mark on a node that is not the local lab\'s is never started, only its mark dropped', async () => {
    const c = cluster();
    await changeNode(c.kube, 'n1', 'loss', 'r1', { stopped: 'lab-stop' });
    const [item] = (await planRunMarks(c.kube, 'r1')).filter((i) => i.object === 'node n1');
    expect(item!.undo).toBe('drop the undo mark');
    expect(await item!.apply()).toBe('done');
    expect(c.nodes[0].metadata.annotations).toEqual({});
  });
});
