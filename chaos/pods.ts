/**
 * Pod faults' shared selection: pods by label in one named namespace, chosen by mode from the
 * run's seed, never pods no controller would replace, never more than the blast-radius cap
 * (default 50 % of the matching pods).
 */
import { z } from 'zod';
import { UsageError } from '../core/errors.ts';
import type { Kube } from '../core/kube.ts';
import type { Pod } from './drain.ts';
import { countFor, pick, SELECT_MODES } from './select.ts';

export const podSelection = {
  /** Label selector choosing candidate pods, e.g. `app=chat-api`. Required: no implicit "all pods". */
  selector: z.string().regex(/\S/, 'expected a label selector like app=chat-api'),
  namespace: z.string().optional(),
  mode: z.enum(SELECT_MODES).default('one'),
  value: z.number().positive().optional(),
  /** Blast-radius cap: selecting more than this share of the matching pods refuses before acting. */
  maxPercent: z.number().positive().max(100).default(50),
};

type Sel = { selector: string; namespace?: string; mode: (typeof SELECT_MODES)[number]; value?: number; maxPercent: number };

/** Validate-time checks shared by pod faults. */
export function checkPodSelection(p: Sel, targetNamespace: string | undefined): Array<[Array<string | number>, string]> {
  const out: Array<[Array<string | number>, string]> = [];
  if (!p.namespace && !targetNamespace) out.push([['namespace'], 'set namespace here or target.namespace: faults only touch a namespace you name']);
  if (p.mode === 'all' && p.maxPercent < 100) out.push([['mode'], `mode all is over the blast-radius cap of ${p.maxPercent}% of the pods (set maxPercent: 100 to allow it)`]);
  if ((p.mode === 'fixed-percent' || p.mode === 'random-percent') && (p.value ?? 0) > p.maxPercent) out.push([['value'], `${p.value}% is over the blast-radius cap of ${p.maxPercent}% (raise maxPercent to allow it)`]);
  if (p.mode !== 'one' && p.mode !== 'all' && p.value === undefined) out.push([['value'], `mode ${p.mode} needs a value`]);
  return out;
}

const bare = (p: Pod) => !p.metadata.ownerReferences?.some((o) => o.controller);

export async function selectPods(kube: Kube, p: Sel, namespace: string, seed: number): Promise<{ victims: Pod[]; candidates: Pod[] }> {
  const { items } = await kube.list<Pod>({ apiVersion: 'v1', kind: 'Pod', namespace, labelSelector: p.selector });
  const candidates = items.filter((x) => x.status?.phase === 'Running' && !x.metadata.deletionTimestamp);
  if (candidates.length === 0) throw new UsageError(`no running pods match ${p.selector} in namespace ${namespace}`);
  const unowned = candidates.filter(bare).map((c) => c.metadata.name);
  if (unowned.length) throw new UsageError(`refusing pods no controller would replace: ${unowned.join(', ')}; narrow the selector to pods of a Deployment, StatefulSet, ...`);
  const victims = pick(candidates.map((pod) => ({ name: pod.metadata.name, pod })), p.mode, p.value, seed).map((x) => x.pod);
  const cap = Math.max(1, Math.floor((candidates.length * p.maxPercent) / 100));
  if (victims.length > cap) {
    throw new UsageError(`the fault would hit ${victims.length} of ${candidates.length} pods matching ${p.selector}, over its blast-radius cap of ${p.maxPercent}% (${cap}): refused before acting`, { hint: 'raise maxPercent if you mean it' });
  }
  return { victims, candidates };
}

export { countFor };
