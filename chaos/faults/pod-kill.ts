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
import { duration } from '../../core/fields.ts';
import { registerFault } from '../fault.ts';
import { formatDuration } from '../../core/duration.ts';
import { pick, SELECT_MODES } from '../select.ts';

const params = z.strictObject({
  /** Label selector choosing candidate pods, e.g. `app=chat-api`. Required: no implicit "all pods". */
  selector: z.string().regex(/\S/, 'expected a label selector like app=chat-api'),
  namespace: z.string().optional(),
  mode: z.enum(SELECT_MODES).default('one'),
  value: z.number().positive().optional(),
  /** Evict through the Eviction API (respects PDBs). false = delete outright. */
  respectPdb: z.boolean().default(true),
  gracePeriodSeconds: z.number().int().nonnegative().max(3600).optional(),
  /** A PDB-blocked eviction is retried this often until the fault window closes (kubectl drain: 5s). */
  evictionRetry: duration.default(5000),
});
type Params = z.infer<typeof params>;
declare module '../../core/scenario.ts' {
  interface StepParamsByKind {
    'pod-kill': Params;
  }
}


type Pod = V1Pod & { metadata: NonNullable<V1Pod['metadata']> & { name: string; uid: string } };

/** A pod no controller replaces: killing it would delete it for good. */
const bare = (p: Pod) => !p.metadata.ownerReferences?.some((o) => o.controller);

/** The victims' seed: the run's seed, the step and the occurrence; never the clock. */
export function victimSeed(runSeed: number, step: string, occurrence: number): number {
  let h = 0x811c9dc5 ^ runSeed;
  for (const c of `${step}#${occurrence}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  return h >>> 0;
}

const ready = (p: Pod) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

// A killed pod is not brought back: its controller replaces it. Nothing to undo.
registerReverter('pod-kill', async () => 'noop');

registerFault({
  kind: 'pod-kill',
  summary: 'evict or delete pods chosen by label (PDB-respecting) and measure recovery',
  params,
  needsCluster: true,
  figures: ['recoverySeconds'],
  endMeaning: 'then the window closes; nothing is undone: a killed pod is not brought back, its controller replaces it (recovery is measured in the window)',
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
    const unowned = candidates.filter((c) => bare(c.pod)).map((c) => c.name);
    if (unowned.length) {
      throw new Error(`pod-kill refuses pods no controller would replace (killing them deletes them for good): ${unowned.join(', ')}; narrow the selector to pods of a Deployment, StatefulSet, ...`);
    }
    const key = `${ctx.runId}/${ctx.step.id}`;
    const occurrence = (occurrences.get(key) ?? 0) + 1;
    occurrences.set(key, occurrence);
    const victims = pick(candidates, p.mode, p.value, victimSeed(ctx.scenario.seed, ctx.step.id, occurrence));
    const before = items.filter(ready).length;
    state.set(ctx.step.id, { namespace, killed: new Set(victims.map((v) => v.pod.metadata.uid)), before, at: 0 });
    return {
      change: {
        description: `${p.respectPdb ? 'evict' : 'delete'} pod${victims.length > 1 ? 's' : ''} ${victims.map((v) => v.name).join(', ')} in ${namespace}`,
        revert: { kind: 'pod-kill', namespace, pods: victims.map((v) => v.name) },
      },
      make: async () => {
        const s = state.get(ctx.step.id)!;
        if (!p.respectPdb) {
          s.at = ctx.clock.now();
          for (const v of victims) await kube.delete({ apiVersion: 'v1', kind: 'Pod', name: v.name, namespace }, { gracePeriodSeconds: p.gracePeriodSeconds });
          return { onset: s.at };
        }
        // As kubectl drain does: an eviction a PodDisruptionBudget blocks (429) is retried until
        // it goes through or the window closes. The fault takes effect at the first eviction.
        let pending = victims.map((v) => v.name);
        const blocked = new Set<string>();
        let effective = false;
        for (;;) {
          const still: string[] = [];
          for (const name of pending) {
            const r = await kube.evict({ name, namespace });
            if (r === 'blocked') {
              if (!blocked.has(name)) ctx.journal.append({ type: 'mark', step: ctx.step.id, label: `eviction of ${name} blocked by a PodDisruptionBudget; retrying every ${formatDuration(p.evictionRetry)}`, data: { pod: name, http: 429 } });
              blocked.add(name);
              still.push(name);
            } else if (!effective) {
              effective = true;
              s.at = ctx.clock.now();
            }
          }
          pending = still;
          // In effect once one pod is gone; the rest are retried only while none is.
          if (pending.length === 0 || effective) break;
          const wait = Math.min(p.evictionRetry, ctx.deadline - ctx.clock.now());
          if (wait <= 0 || !(await sleep(wait, ctx.signal))) break;
        }
        for (const v of victims) if (pending.includes(v.name)) s.killed.delete(v.pod.metadata.uid);
        if (!effective) return { ineffective: `eviction of ${pending.join(', ')} blocked by a PodDisruptionBudget until the window closed (retried every ${formatDuration(p.evictionRetry)})` };
        if (pending.length) ctx.journal.append({ type: 'mark', step: ctx.step.id, label: `not evicted (PodDisruptionBudget): ${pending.join(', ')}`, data: { pods: pending } });
        return { onset: s.at };
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
const occurrences = new Map<string, number>();
