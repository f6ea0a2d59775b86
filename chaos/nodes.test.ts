/**
 * Node faults' shared pieces against an in-memory cluster: selection by spot labels and the
 * blast-radius cap, undo state on the Node (exactly the taint added is removed, a node cordoned
 * before stays cordoned, reverting twice is safe), and a drain that retries PDB-blocked evictions.
 */
import { describe, expect, it } from 'vitest';
import type { Kube } from '../core/kube.ts';
import { drainNode } from './drain.ts';
import { changeNode, checkCap, nodeSelection, restoreNode, selectNodes, type Node } from './nodes.ts';

const node = (name: string, labels: Record<string, string> = {}, spec: Node['spec'] = {}): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels, annotations: {} }, spec });

function fakeKube(nodes: Node[], pods: any[] = [], evict: (name: string, n: number) => 'evicted' | 'blocked' = () => 'evicted') {
  const attempts = new Map<string, number>();
  const kube = {
    context: 'fake',
    async list({ kind }: { kind: string }) {
      return { items: kind === 'Node' ? nodes : pods, resourceVersion: '1' };
    },
    async get({ name }: { name: string }) {
      return structuredClone(nodes.find((n) => n.metadata.name === name));
    },
    async patch(obj: any) {
      const n = nodes.find((x) => x.metadata.name === obj.metadata.name)!;
      for (const [k, v] of Object.entries(obj.metadata.annotations ?? {})) {
        if (v === null) delete n.metadata.annotations![k];
        else n.metadata.annotations![k] = v as string;
      }
      for (const [k, v] of Object.entries(obj.spec ?? {})) {
        if (v === null) delete (n.spec as any)[k];
        else (n.spec as any)[k] = v;
      }
      return n;
    },
    async evict({ name }: { name: string }) {
      const a = (attempts.get(name) ?? 0) + 1;
      attempts.set(name, a);
      const r = evict(name, a);
      if (r === 'evicted') pods.splice(pods.findIndex((p) => p.metadata.name === name), 1);
      return r;
    },
  };
  return { kube: kube as unknown as Kube, attempts };
}

describe('node selection', () => {
  const nodes = [node('a', { 'eks.amazonaws.com/capacityType': 'SPOT' }), node('b', { 'karpenter.sh/capacity-type': 'spot' }), node('c', { 'node.kubernetes.io/lifecycle': 'spot' }), node('d', { 'karpenter.sh/capacity-type': 'on-demand' })];
  it('finds spot nodes by any of the usual labels and never picks an on-demand one', async () => {
    const { kube } = fakeKube(nodes);
    const got = await selectNodes(kube, nodeSelection.parse({ spot: true, count: 3, maxNodes: 3 }), 1);
    expect(got.map((n) => n.metadata.name).sort()).toEqual(['a', 'b', 'c']);
  });
  it('refuses before acting when a selection is over the blast-radius cap (default one node)', async () => {
    const { kube } = fakeKube(nodes);
    await expect(selectNodes(kube, nodeSelection.parse({ spot: true, percent: 100 }), 1)).rejects.toThrow(/blast-radius cap of 1/);
    expect(checkCap(nodeSelection.parse({ names: ['a', 'b'] }), ['nodes'])[0]?.[1]).toMatch(/over the blast-radius cap/);
    expect(() => nodeSelection.parse({})).toThrow(/name the nodes/);
  });
});

describe('node undo state', () => {
  it('removes exactly the taint it added, keeps a taint that was there, and reverting twice is a no-op', async () => {
    const theirs = { key: 'team/maintenance', effect: 'NoSchedule' };
    const nodes = [node('a', {}, { taints: [theirs] })];
    const { kube } = fakeKube(nodes);
    await changeNode(kube, 'a', 'drain', 'run-1', { cordon: true, taints: [theirs, { key: 'x/y', value: 'v', effect: 'NoExecute' }], annotations: { 'gauntlet.dev/spot-interruption-time': 'soon' } });
    expect(nodes[0]!.spec!.unschedulable).toBe(true);
    expect(nodes[0]!.spec!.taints).toHaveLength(2);
    expect(await restoreNode(kube, { node: 'a', step: 'drain', runId: 'run-1' })).toBe('restored');
    expect(nodes[0]!.spec!.taints).toEqual([theirs]);
    expect(nodes[0]!.spec!.unschedulable).toBe(false);
    expect(Object.keys(nodes[0]!.metadata.annotations!)).toEqual([]);
    expect(await restoreNode(kube, { node: 'a', step: 'drain', runId: 'run-1' })).toBe('noop');
  });
  it('leaves a node that was cordoned before the run cordoned', async () => {
    const nodes = [node('a', {}, { unschedulable: true })];
    const { kube } = fakeKube(nodes);
    await changeNode(kube, 'a', 'drain', 'run-1', { cordon: true });
    await restoreNode(kube, { node: 'a', step: 'drain', runId: 'run-1' });
    expect(nodes[0]!.spec!.unschedulable).toBe(true);
  });
  it('refuses to undo another run\'s change', async () => {
    const nodes = [node('a')];
    const { kube } = fakeKube(nodes);
    await changeNode(kube, 'a', 'drain', 'run-1', { cordon: true });
    await expect(restoreNode(kube, { node: 'a', step: 'drain', runId: 'run-2' })).rejects.toThrow(/run-1/);
    expect(nodes[0]!.spec!.unschedulable).toBe(true);
  });
});

describe('drain', () => {
  const pod = (name: string, owner = 'ReplicaSet') => ({ metadata: { name, namespace: 'shop', uid: name, ownerReferences: [{ kind: owner, controller: true }] }, status: { phase: 'Running' } });
  it('retries evictions a PodDisruptionBudget blocks until they go through, and leaves DaemonSet pods', async () => {
    const pods = [pod('a'), pod('b'), pod('ds', 'DaemonSet')];
    const { kube, attempts } = fakeKube([], pods, (name, n) => (name === 'b' && n < 3 ? 'blocked' : 'evicted'));
    let t = 0;
    const blocked: string[] = [];
    const r = await drainNode(kube, 'n', { retryMs: 1, deadline: 10_000, now: () => t++, signal: new AbortController().signal, onBlocked: (p) => blocked.push(p) });
    expect(r.evicted.sort()).toEqual(['shop/a', 'shop/b']);
    expect(r.blocked).toEqual([]);
    expect(attempts.get('b')).toBe(3);
    expect(attempts.has('ds')).toBe(false);
    expect(blocked).toEqual(['shop/b']);
    expect(r.drainedAt).toBeDefined();
  });
  it('gives up at the deadline with what a PDB still protects', async () => {
    const { kube } = fakeKube([], [pod('a')], () => 'blocked');
    let t = 0;
    const r = await drainNode(kube, 'n', { retryMs: 1, deadline: 5, now: () => t++, signal: new AbortController().signal });
    expect(r.blocked).toEqual(['shop/a']);
    expect(r.drainedAt).toBeUndefined();
  });
});
