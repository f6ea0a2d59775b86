/**
 * node-drain: cordon the chosen nodes and evict their pods through the Eviction API, as
 * `kubectl drain` does (PodDisruptionBudgets respected, 429s retried, bounded by `timeout` or
 * the window). Revert uncordons, from the undo state on the Node.
 *
 * Figures: drainSeconds (cordon to every evicted pod gone from the node), podsEvicted,
 * podsBlocked (a PDB still forbade them when the drain gave up).
 */
import { z } from 'zod';
import { duration } from '../../core/fields.ts';
import { formatDuration } from '../../core/duration.ts';
import { drainNode } from '../drain.ts';
import { registerFault } from '../fault.ts';
import { nodeTargets } from '../plan-targets.ts';
import { changeNode, checkCap, describeSelection, nodeSelection, selectNodes } from '../nodes.ts';
import { victimSeed } from './pod-kill.ts';

const params = z.strictObject({
  nodes: nodeSelection,
  /** Namespaces whose pods are evicted (default: the scenario's target namespace). */
  namespaces: z.array(z.string().min(1)).min(1).optional(),
  evictionRetry: duration.default(5000),
  /** Give up draining after this long (default: the fault's window). */
  timeout: duration.optional(),
});
type Params = z.infer<typeof params>;
declare module '../../core/scenario.ts' {
  interface StepParamsByKind {
    'node-drain': Params;
  }
}

registerFault({
  kind: 'node-drain',
  summary: 'cordon nodes and evict their pods (PDB-respecting, 429s retried); revert uncordons',
  params,
  needsCluster: true,
  figures: ['drainSeconds', 'podsEvicted', 'podsBlocked'],
  targets: async (step, scenario, kube) => nodeTargets(kube, step, scenario, { evicts: true, loses: false }),
  describeTarget: (p) => describeSelection(p.nodes),
  check: (step, scenario) => [
    ...checkCap(step.params.nodes, ['nodes']),
    ...(step.params.namespaces || scenario.target.namespace ? [] : ([[['namespaces'], 'name the namespaces whose pods may be evicted (or set target.namespace)']] as Array<[string[], string]>)),
  ],
  plan: (step) => [
    `  cordon, then evict pods of ${step.params.namespaces?.join(', ') ?? 'the target namespace'} (PodDisruptionBudgets respected: a blocked eviction is retried every ${formatDuration(step.params.evictionRetry)}, never forced)`,
    `  revert: uncordon (only nodes this run cordoned); record drainSeconds, podsEvicted, podsBlocked`,
  ],
  async inject(ctx) {
    const p = ctx.step.params;
    const kube = await ctx.kube();
    const nodes = (await selectNodes(kube, p.nodes, victimSeed(ctx.scenario.seed, ctx.step.id, 1))).map((n) => n.metadata.name);
    const namespaces = p.namespaces ?? [ctx.scenario.target.namespace!];
    return {
      change: { description: `cordon and drain node${nodes.length > 1 ? 's' : ''} ${nodes.join(', ')} (pods of ${namespaces.join(', ')})`, revert: { kind: 'node-restore', nodes, step: ctx.step.id, runId: ctx.runId } },
      make: async () => {
        const at = ctx.clock.now();
        for (const node of nodes) await changeNode(kube, node, ctx.step.id, ctx.runId, { cordon: true });
        drains.set(`${ctx.runId}/${ctx.step.id}`, { nodes, namespaces, at });
        return { onset: at };
      },
    };
  },
  // The drain runs through the window (the fault is in effect once cordoned) and stops when it closes.
  async observe(ctx, window) {
    const p = ctx.step.params;
    const { nodes, namespaces, at } = drains.get(`${ctx.runId}/${ctx.step.id}`)!;
    const kube = await ctx.kube();
    const deadline = Math.min(ctx.deadline, p.timeout !== undefined ? at + p.timeout : Infinity);
    await Promise.all(
      nodes.map(async (node) => {
        const r = await drainNode(kube, node, {
          namespaces, retryMs: p.evictionRetry, deadline, now: () => ctx.clock.now(), signal: AbortSignal.any([window, ctx.signal]),
          onBlocked: (pod) => ctx.journal.append({ type: 'mark', step: ctx.step.id, label: `eviction of ${pod} blocked by a PodDisruptionBudget; retrying every ${formatDuration(p.evictionRetry)}`, data: { pod, node, http: 429 } }),
        });
        const labels = { node };
        if (r.drainedAt !== undefined) ctx.journal.append({ type: 'figure', step: ctx.step.id, name: 'drainSeconds', value: (r.drainedAt - at) / 1000, unit: 's', labels, definition: 'cordon to every evicted pod gone from the node' });
        ctx.journal.append({ type: 'figure', step: ctx.step.id, name: 'podsEvicted', value: r.evicted.length, unit: 'pods', labels });
        ctx.journal.append({ type: 'figure', step: ctx.step.id, name: 'podsBlocked', value: r.blocked.length, unit: 'pods', labels, definition: 'pods a PodDisruptionBudget still protected when the drain gave up' });
        ctx.progress(`fault ${ctx.step.id}: ${node}: evicted ${r.evicted.length}, blocked ${r.blocked.length}${r.drainedAt !== undefined ? `, drained in ${((r.drainedAt - at) / 1000).toFixed(1)} s` : ''}`);
      }),
    );
  },
});

const drains = new Map<string, { nodes: string[]; namespaces: string[]; at: number }>();
