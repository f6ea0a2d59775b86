/**
 * node-loss: the chosen nodes stop answering (lab: kubelet and runtime stopped, their pods'
 * processes killed; elsewhere refused unless `elsewhere: delete`). Revert brings them back.
 * PodDisruptionBudgets cannot protect anything here: losing the node is the point (the plan says so).
 *
 * Figures: notReadySeconds (stop to the Node's Ready condition no longer True),
 * rescheduledSeconds (stop to as many Ready pods off the lost nodes as were Ready before, in the
 * scenario's namespaces).
 */
import { z } from 'zod';
import { sleep } from '../../core/proc.ts';
import type { Kube } from '../../core/kube.ts';
import { registerFault } from '../fault.ts';
import { nodeTargets } from '../plan-targets.ts';
import { lossMethod, loseNode, readyCounts, readyElsewhere } from '../node-power.ts';
import { checkCap, describeSelection, nodeReady, nodeSelection, selectNodes, type Node } from '../nodes.ts';
import { victimSeed } from './pod-kill.ts';

const params = z.strictObject({
  nodes: nodeSelection,
  /** Not a lab node: refuse (default), or delete the Node object and force-delete its pods. */
  elsewhere: z.enum(['refuse', 'delete']).default('refuse'),
  /** Namespaces whose pods' rescheduling is measured (default: the scenario's target namespace). */
  namespaces: z.array(z.string().min(1)).min(1).optional(),
});
type Params = z.infer<typeof params>;
declare module '../../core/scenario.ts' {
  interface StepParamsByKind {
    'node-loss': Params;
  }
}

const state = new Map<string, { nodes: string[]; at: number; before: Map<string, number>; namespaces: string[] }>();

async function measure(kube: Kube, ctx: { clock: { now(): number }; journal: { append(e: never): unknown }; step: { id: string } }, s: { nodes: string[]; at: number; before: Map<string, number>; namespaces: string[] }, window: AbortSignal): Promise<void> {
  const notReady = new Set<string>();
  let rescheduled = false;
  const lost = new Set(s.nodes);
  while (!window.aborted && (notReady.size < s.nodes.length || !rescheduled)) {
    for (const node of s.nodes) {
      if (notReady.has(node)) continue;
      if (!nodeReady(await kube.get<Node>({ apiVersion: 'v1', kind: 'Node', name: node }))) {
        notReady.add(node);
        ctx.journal.append({ type: 'figure', step: ctx.step.id, name: 'notReadySeconds', value: (ctx.clock.now() - s.at) / 1000, unit: 's', labels: { node }, definition: 'node stopped to its Ready condition no longer True' } as never);
      }
    }
    if (!rescheduled && s.namespaces.length && (await readyElsewhere(kube, s.namespaces, lost, s.before))) {
      rescheduled = true;
      ctx.journal.append({ type: 'figure', step: ctx.step.id, name: 'rescheduledSeconds', value: (ctx.clock.now() - s.at) / 1000, unit: 's', definition: 'node stopped to as many Ready pods on other nodes as were Ready before (scenario namespaces)' } as never);
    }
    await sleep(500, window);
  }
}

registerFault({
  kind: 'node-loss',
  summary: 'stop nodes (lab: kubelet and runtime) for the window and bring them back; measure NotReady and rescheduling',
  params,
  needsCluster: true,
  figures: ['notReadySeconds', 'rescheduledSeconds'],
  targets: async (step, scenario, kube) => nodeTargets(kube, step, scenario, { evicts: false, loses: true }),
  describeTarget: (p) => describeSelection(p.nodes),
  check: (step) => checkCap(step.params.nodes, ['nodes']),
  plan: (step) => [
    `  stop the node (lab: kubelet and runtime; elsewhere: ${step.params.elsewhere === 'delete' ? 'delete the Node and force-delete its pods' : 'refused'}); every pod on it is lost at once: PodDisruptionBudgets cannot protect them (that is the fault)`,
    '  revert: start it again; record notReadySeconds, rescheduledSeconds',
  ],
  async inject(ctx) {
    const p = ctx.step.params;
    const kube = await ctx.kube();
    const nodes = (await selectNodes(kube, p.nodes, victimSeed(ctx.scenario.seed, ctx.step.id, 1))).map((n) => n.metadata.name);
    const how = nodes.map((node) => ({ node, how: lossMethod(kube, node, p.elsewhere) }));
    const namespaces = p.namespaces ?? (ctx.scenario.target.namespace ? [ctx.scenario.target.namespace] : []);
    return {
      change: { description: `stop node${nodes.length > 1 ? 's' : ''} ${nodes.join(', ')} (${how.map((h) => h.how).join(', ')})`, revert: { kind: 'node-start', nodes: how, step: ctx.step.id, runId: ctx.runId } },
      make: async () => {
        const before = await readyCounts(kube, namespaces);
        const at = ctx.clock.now();
        for (const h of how) await loseNode(kube, h.node, h.how, { step: ctx.step.id, runId: ctx.runId });
        state.set(`${ctx.runId}/${ctx.step.id}`, { nodes, at, before, namespaces });
        return { onset: at };
      },
    };
  },
  async observe(ctx, window) {
    await measure(await ctx.kube(), ctx as never, state.get(`${ctx.runId}/${ctx.step.id}`)!, window);
  },
});

