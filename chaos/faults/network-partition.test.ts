/** network-partition's reverter: deletes only the policy this run made; deleting twice is a no-op. */
import { describe, expect, it } from 'vitest';
import { reverterFor, revertChange } from '../../core/changes.ts';
import type { Kube } from '../../core/kube.ts';
import { matchLabels, policyName } from './network-partition.ts';

function fake(mark?: string) {
  let live: unknown = mark === undefined ? undefined : { metadata: { annotations: { 'gauntlet.dev/run-id': mark } } };
  const kube = {
    async get() {
      return live;
    },
    async delete() {
      const was = live;
      live = undefined;
      return was ? 'deleted' : 'absent';
    },
  } as unknown as Kube;
  return { kube, gone: () => live === undefined };
}

const journal = { appendDurable: () => {} } as never;
const spec = { kind: 'network-partition', name: 'gauntlet-partition-cut', namespace: 'shop', runId: 'run-1' };

describe('network-partition', () => {
  it('turns a selector into matchLabels and a step id into a valid policy name', () => {
    expect(matchLabels('app=shop, tier = web')).toEqual({ app: 'shop', tier: 'web' });
    expect(policyName('Cut_The.Net')).toBe('gauntlet-partition-cut-the-net');
  });
  it('removes its own policy, and reverting twice is a no-op', async () => {
    expect(reverterFor('network-partition')).toBeDefined();
    const f = fake('run-1');
    expect(await revertChange(journal, 'c1', 'x', spec, { kube: async () => f.kube })).toBeUndefined();
    expect(f.gone()).toBe(true);
    expect(await revertChange(journal, 'c1', 'x', spec, { kube: async () => f.kube })).toBeUndefined();
  });
  it('leaves a policy of the same name that another run (or a person) made', async () => {
    const f = fake('someone-else');
    expect((await revertChange(journal, 'c1', 'x', spec, { kube: async () => f.kube }))?.error).toMatch(/not this run's/);
    expect(f.gone()).toBe(false);
  });
});
