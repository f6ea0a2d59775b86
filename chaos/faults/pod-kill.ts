/**
 * pod-kill: evict (or delete) pods chosen by label in one namespace, then measure how long the
 * workload takes to be whole again. Eviction goes through the Eviction API, so a
 * PodDisruptionBudget that forbids it is respected (and journaled), not bypassed.
 *
 * Figure: recoverySeconds = from the kill to the moment as many pods matching the selector are
 * Ready as were Ready before it (replacements only: killed pods never count).
 */
import { z } from 'zod';
import type { V1Pod } from '@kubernetes/client-node';
import { registerReverter } from '../../core/changes.ts';
import { sleep } from '../../core/proc.ts';
import { registerFault } from '../fault.ts';
import { pick } from '../select.ts';

const params = z.strictObject({
  /** Label selector choosing candidate pods, e.g. `app=chat-api`. Required: no implicit "all pods". */
  selector: z.string().regex(/\S/, 'expected a label selector like app=chat-api'),
  namespace: z.string().optional(),
  mode: z.enum(['one', 'all', 'fixed', 'fixed-percent']).default('one'),
  value: z.number().positive().optional(),
  /** Evict through the Eviction API (respects PDBs). false = delete outright. */
  respectPdb: z.boolean().default(true),
  gracePeriodSeconds: z.number().int().nonnegative().max(3600).optional(),
});
type Params = z.infer<typeof params>;

type Pod = V1Pod & { metadata: NonNullable<V1Pod['metadata']> & { name: string; uid: string } };

const ready = (p: Pod) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

// A killed pod is not brought back: its controller replaces it. Nothing to undo.
registerReverter('pod-kill', async () => 'noop');

registerFault<Params>({
  kind: 'pod-kill',
  summary: 'evict or delete pods chosen by label (PDB-respecting) and measure recovery',
  params,
  needsCluster: true,
  describeTarget: (p) => `pods ${p.selector}${p.namespace ? ` in ${p.namespace}` : ''}`,
  check: (step, scenario) =>
    step.params.namespace || scenario.target.namespace ? [] : [[['namespace'], 'set namespace here or target.namespace: faults only touch a namespace you name']],
  plan: (step) => [`  ${step.params.respectPdb ? 'evict (PodDisruptionBudgets respected)' : 'delete'} ${step.params.mode}${step.params.value ? ` ${step.params.value}` : ''} of the matching pods; record recoverySeconds`],
  async inject(ctx) {
    const p = ctx.step.params;
    const kube = await ctx.kube();
    const namespace = p.namespace ?? ctx.scenario.target.namespace ?? kube.namespace;
    const { items } = await kube.list<Pod>({ apiVersion: 'v1', kind: 'Pod', namespace, labelSelector: p.selector });
    const candidates = items.filter((x) => x.status?.phase === 'Running' && !x.metadata.deletionTimestamp).map((x) => ({ name: x.metadata.name, pod: x }));
    if (candidates.length === 0) throw new Error(`no running pods match ${p.selector} in namespace ${namespace}`);
    const victims = pick(candidates, p.mode, p.value, ctx.scenario.seed ^ ctx.clock.now());
    const before = items.filter(ready).length;
    state.set(ctx.step.id, { namespace, killed: new Set(victims.map((v) => v.pod.metadata.uid)), before, at: 0 });
    return {
      change: {
        description: `${p.respectPdb ? 'evict' : 'delete'} pod${victims.length > 1 ? 's' : ''} ${victims.map((v) => v.name).join(', ')} in ${namespace}`,
        revert: { kind: 'pod-kill', namespace, pods: victims.map((v) => v.name) },
      },
      make: async () => {
        state.get(ctx.step.id)!.at = ctx.clock.now();
        for (const v of victims) {
          if (p.respectPdb) {
            const r = await kube.evict({ name: v.name, namespace });
            if (r === 'blocked') ctx.journal.append({ type: 'mark', step: ctx.step.id, label: `eviction of ${v.name} blocked by a PodDisruptionBudget`, data: { pod: v.name, http: 429 } });
          } else await kube.delete({ apiVersion: 'v1', kind: 'Pod', name: v.name, namespace }, { gracePeriodSeconds: p.gracePeriodSeconds });
        }
      },
    };
  },
  async observe(ctx, window) {
    const s = state.get(ctx.step.id)!;
    const kube = await ctx.kube();
    while (!window.aborted && !ctx.signal.aborted) {
      const { items } = await kube.list<Pod>({ apiVersion: 'v1', kind: 'Pod', namespace: s.namespace, labelSelector: ctx.step.params.selector });
      const readyNow = items.filter((x) => ready(x) && !s.killed.has(x.metadata.uid)).length;
      if (readyNow >= s.before) {
        ctx.journal.append({
          type: 'figure',
          step: ctx.step.id,
          name: 'recoverySeconds',
          value: Math.round(ctx.clock.now() - s.at) / 1000,
          unit: 's',
          definition: 'pod kill to as many Ready replacement pods as were Ready before (polled every 250 ms)',
        });
        return;
      }
      await sleep(250, window);
    }
  },
});

const state = new Map<string, { namespace: string; killed: Set<string>; before: number; at: number }>();
