/**
 * node-taint: add one taint (NoSchedule, PreferNoSchedule or NoExecute) to the chosen nodes for
 * the window. Revert removes exactly the taint added: a taint that was already there stays.
 */
import { z } from 'zod';
import { registerFault } from '../fault.ts';
import { nodeTargets } from '../plan-targets.ts';
import { changeNode, checkCap, describeSelection, nodeSelection, selectNodes } from '../nodes.ts';
import { victimSeed } from './pod-kill.ts';

const params = z.strictObject({
  nodes: nodeSelection,
  key: z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9_.-]{1,63}$/, 'expected a taint key like example.com/maintenance'),
  value: z.string().max(63).optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).default('NoSchedule'),
});
type Params = z.infer<typeof params>;
declare module '../../core/scenario.ts' {
  interface StepParamsByKind {
    'node-taint': Params;
  }
}

const taintOf = (p: Params) => ({ key: p.key, ...(p.value !== undefined ? { value: p.value } : {}), effect: p.effect });
const show = (p: Params) => `${p.key}${p.value !== undefined ? `=${p.value}` : ''}:${p.effect}`;

registerFault({
  kind: 'node-taint',
  summary: 'taint nodes for the window (NoSchedule/NoExecute); revert removes exactly that taint',
  params,
  needsCluster: true,
  figures: [],
  targets: async (step, scenario, kube) => nodeTargets(kube, step, scenario, { evicts: false, loses: false }),
  describeTarget: (p) => describeSelection(p.nodes),
  check: (step) => checkCap(step.params.nodes, ['nodes']),
  plan: (step) => [
    `  taint ${show(step.params)}${step.params.effect === 'NoExecute' ? ' (NoExecute evicts pods that do not tolerate it, bypassing PodDisruptionBudgets, as the kubelet would)' : ' (no pod is evicted; new pods avoid the node)'}`,
  ],
  async inject(ctx) {
    const p = ctx.step.params;
    const kube = await ctx.kube();
    const nodes = (await selectNodes(kube, p.nodes, victimSeed(ctx.scenario.seed, ctx.step.id, 1))).map((n) => n.metadata.name);
    return {
      change: { description: `taint node${nodes.length > 1 ? 's' : ''} ${nodes.join(', ')} with ${show(p)}`, revert: { kind: 'node-restore', nodes, step: ctx.step.id, runId: ctx.runId } },
      make: async () => {
        let added = 0;
        for (const node of nodes) added += (await changeNode(kube, node, ctx.step.id, ctx.runId, { taints: [taintOf(p)] })).taints.length;
        if (added === 0) return { ineffective: `every node already had the taint ${show(p)}` };
        return { onset: ctx.clock.now() };
      },
    };
  },
});
