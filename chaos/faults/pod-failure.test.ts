/** pod-failure's revert: the original images come back from the pod's own annotation; a pod that is gone, or already restored, is a no-op. */
import { describe, expect, it } from 'vitest';
import { revertChange } from '../../core/changes.ts';
import type { Kube } from '../../core/kube.ts';
import { undoKey } from '../nodes.ts';
import './pod-failure.ts';

function fake(pod: any) {
  const patches: any[] = [];
  const kube = {
    async get() {
      return pod && structuredClone(pod);
    },
    async patch(obj: any) {
      patches.push(obj);
      for (const c of obj.spec.containers) pod.spec.containers.find((x: any) => x.name === c.name).image = c.image;
      for (const [k, v] of Object.entries(obj.metadata.annotations)) if (v === null) delete pod.metadata.annotations[k];
      return pod;
    },
  } as unknown as Kube;
  return { kube, patches };
}

const journal = { appendDurable: () => {} } as never;
const spec = (images?: Record<string, string>) => ({ kind: 'pod-failure', namespace: 'shop', step: 'fail', runId: 'run-1', pods: [{ name: 'a', images: images ?? {} }] });
const failed = (runId = 'run-1') => ({
  metadata: { name: 'a', namespace: 'shop', annotations: { [undoKey('fail')]: JSON.stringify({ runId, images: { web: 'shop:v3', side: 'envoy:1' } }) } },
  spec: { containers: [{ name: 'web', image: 'pause' }, { name: 'side', image: 'pause' }] },
});

describe('pod-failure revert', () => {
  it('restores every container\'s image from the pod\'s annotation (even with an empty journal record), then is a no-op', async () => {
    const pod = failed();
    const { kube } = fake(pod);
    expect(await revertChange(journal, 'c1', 'x', spec(), { kube: async () => kube })).toBeUndefined();
    expect(pod.spec.containers.map((c) => c.image)).toEqual(['shop:v3', 'envoy:1']);
    expect(pod.metadata.annotations).toEqual({});
    const again = fake(pod);
    await revertChange(journal, 'c1', 'x', spec({ web: 'shop:v3', side: 'envoy:1' }), { kube: async () => again.kube });
    expect(again.patches).toEqual([]);
  });
  it('a pod that is gone needs nothing', async () => {
    const { kube, patches } = fake(undefined);
    expect(await revertChange(journal, 'c1', 'x', spec({ web: 'shop:v3' }), { kube: async () => kube })).toBeUndefined();
    expect(patches).toEqual([]);
  });
  it('leaves a pod another run failed', async () => {
    const { kube, patches } = fake(failed('run-9'));
    expect((await revertChange(journal, 'c1', 'x', spec(), { kube: async () => kube }))?.error).toMatch(/run-9/);
    expect(patches).toEqual([]);
  });
});
