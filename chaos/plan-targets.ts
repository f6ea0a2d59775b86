/**
 * What a fault would hit, resolved read-only against the cluster for `gauntlet plan`: the nodes
 * (with the same seed the run uses), the pods a drain would evict, and what each
 * PodDisruptionBudget allows right now.
 */
import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { Kube } from '../core/kube.ts';
import type { Scenario, StepOf } from '../core/scenario.ts';
import { drainable, type Pod } from './drain.ts';
import { isSpot, selectNodes, type NodeSelection } from './nodes.ts';
import { selectPods } from './pods.ts';
import { victimSeed } from './faults/pod-kill.ts';

type Pdb = V1PodDisruptionBudget & { metadata: { name: string; namespace: string } };

const matches = (pdb: Pdb, pod: Pod) => {
  const sel = pdb.spec?.selector;
  if (!sel || sel.matchExpressions?.length) return false;
  return Object.entries(sel.matchLabels ?? {}).every(([k, v]) => pod.metadata.labels?.[k] === v);
};

/** One line per PDB guarding `pods`: its name, rule and how many disruptions it allows now. */
export async function pdbEffect(kube: Kube, pods: readonly Pod[], onLoss: boolean): Promise<string[]> {
  const out: string[] = [];
  for (const ns of [...new Set(pods.map((p) => p.metadata.namespace))]) {
    const { items } = await kube.list<Pdb>({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', namespace: ns });
    for (const pdb of items) {
      const guarded = pods.filter((p) => p.metadata.namespace === ns && matches(pdb, p));
      if (!guarded.length) continue;
      const rule = pdb.spec?.minAvailable !== undefined ? `minAvailable ${pdb.spec.minAvailable}` : `maxUnavailable ${pdb.spec?.maxUnavailable}`;
      const allowed = pdb.status?.disruptionsAllowed ?? 0;
      out.push(
        `PDB ${ns}/${pdb.metadata.name} (${rule}) guards ${guarded.length} of these pods and allows ${allowed} disruption(s) now: ` +
          (onLoss ? 'it cannot protect them when the node goes' : guarded.length > allowed ? `evictions beyond ${allowed} wait (retried) until it allows` : 'evictions go through'),
      );
    }
  }
  return out;
}

export async function nodeTargets(kube: Kube, step: StepOf<{ nodes: NodeSelection; namespaces?: string[] }>, scenario: Scenario, how: { evicts: boolean; loses: boolean }): Promise<string[]> {
  const nodes = await selectNodes(kube, step.params.nodes, victimSeed(scenario.seed, step.id, 1));
  const namespaces = step.params.namespaces ?? (scenario.target.namespace ? [scenario.target.namespace] : undefined);
  const out: string[] = [];
  for (const n of nodes) {
    const pods = how.evicts || how.loses ? await drainable(kube, n.metadata.name, how.evicts ? namespaces : undefined) : [];
    const zone = n.metadata.labels?.['topology.kubernetes.io/zone'];
    out.push(`node ${n.metadata.name} (${isSpot(n) ? 'spot' : 'not spot'}${zone ? `, zone ${zone}` : ''})${pods.length ? `: pods ${pods.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(', ')}` : how.evicts || how.loses ? ': no pods to move' : ''}`);
    for (const l of await pdbEffect(kube, pods, how.loses && !how.evicts)) out.push(`  ${l}`);
  }
  return out;
}

export async function podTargets(kube: Kube, step: StepOf<{ selector: string; namespace?: string; mode: 'one' | 'all' | 'fixed' | 'fixed-percent' | 'random-percent'; value?: number; maxPercent: number }>, scenario: Scenario): Promise<string[]> {
  const ns = step.params.namespace ?? scenario.target.namespace ?? kube.namespace;
  const { victims, candidates } = await selectPods(kube, step.params, ns, victimSeed(scenario.seed, step.id, 1));
  return [`pods ${victims.map((v) => `${ns}/${v.metadata.name} on ${v.spec?.nodeName}`).join(', ')} (${victims.length} of ${candidates.length} matching; first occurrence)`];
}
