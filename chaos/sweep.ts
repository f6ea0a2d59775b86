/**
 * Recovery from the cluster alone: every node, pod and NetworkPolicy a fault changed carries its
 * undo state (`gauntlet.dev/undo-<step>`) or the run's mark, so what a run left can be undone even
 * when its journal is lost. `recover` runs this after the journal's reverts; `runId` limits it to
 * one run (undefined: every run's leftovers).
 */
import type { Kube } from '../core/kube.ts';
import type { Pod } from './drain.ts';
import { restorePod } from './faults/pod-failure.ts';
import { RUN_MARK, restoreNode, type Node } from './nodes.ts';

const UNDO = 'gauntlet.dev/undo-';

function undos(annotations: Record<string, string> | undefined, runId?: string): Array<{ step: string; runId: string }> {
  return Object.entries(annotations ?? {})
    .filter(([k]) => k.startsWith(UNDO))
    .map(([k, v]) => {
      try {
        return { step: k.slice(UNDO.length), runId: (JSON.parse(v) as { runId: string }).runId };
      } catch {
        return undefined;
      }
    })
    .filter((x): x is { step: string; runId: string } => !!x && (runId === undefined || x.runId === runId));
}

export async function sweepRunMarks(kube: Kube, runId?: string): Promise<string[]> {
  const done: string[] = [];
  for (const n of (await kube.list<Node>({ apiVersion: 'v1', kind: 'Node' })).items) {
    for (const u of undos(n.metadata.annotations, runId)) {
      if ((await restoreNode(kube, { node: n.metadata.name, step: u.step, runId: u.runId })) === 'restored') done.push(`node ${n.metadata.name} (${u.step})`);
    }
  }
  for (const p of (await kube.list<Pod>({ apiVersion: 'v1', kind: 'Pod' })).items) {
    for (const u of undos(p.metadata.annotations, runId)) {
      if ((await restorePod(kube, p.metadata.namespace, p.metadata.name, u.step, u.runId)) === 'restored') done.push(`pod ${p.metadata.namespace}/${p.metadata.name} (${u.step})`);
    }
  }
  const { items } = await kube.list<{ metadata: { name: string; namespace: string; annotations?: Record<string, string> } }>({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', labelSelector: 'app.kubernetes.io/managed-by=gauntlet' });
  for (const np of items) {
    const mark = np.metadata.annotations?.[RUN_MARK];
    if (!mark || (runId !== undefined && mark !== runId) || !np.metadata.name.startsWith('gauntlet-partition-')) continue;
    if ((await kube.delete({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name: np.metadata.name, namespace: np.metadata.namespace })) === 'deleted') done.push(`NetworkPolicy ${np.metadata.namespace}/${np.metadata.name}`);
  }
  return done;
}
