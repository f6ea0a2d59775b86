/**
 * Recovery from the cluster alone: every node, pod and NetworkPolicy a fault changed carries its
 * undo state (`gauntlet.dev/undo-<step>`) or the run's mark, so what a run left can be undone even
 * when its journal is lost. `recover` runs this after the journal's reverts, and on its own with
 * `--run-id`; `runId` limits it to one run (undefined: every run's leftovers).
 *
 * `planRunMarks` only reads (what `recover --dry-run` lists); `sweepRunMarks` does the same plan.
 */
import type { Kube } from '../core/kube.ts';
import type { Pod } from './drain.ts';
import { restorePod } from './faults/pod-failure.ts';
import { bringBack, isLabNode } from './node-power.ts';
import { RUN_MARK, restoreNode, type Node, type NodeUndo } from './nodes.ts';

const UNDO = 'gauntlet.dev/undo-';

type Undo = { step: string; runId: string; raw: Record<string, unknown> & { runId: string } };

function undos(annotations: Record<string, string> | undefined, runId?: string): Undo[] {
  return Object.entries(annotations ?? {})
    .filter(([k]) => k.startsWith(UNDO))
    .map(([k, v]) => {
      try {
        const raw = JSON.parse(v) as Undo['raw'];
        return { step: k.slice(UNDO.length), runId: raw.runId, raw };
      } catch {
        return undefined;
      }
    })
    .filter((x): x is Undo => !!x && (runId === undefined || x.runId === runId));
}

export interface SweepItem {
  /** The object, e.g. `node lab-node-2`, `pod shop/web-1`, `NetworkPolicy shop/gauntlet-partition-cut`. */
  object: string;
  runId: string;
  step?: string;
  /** What undoing means, in words: "uncordon, remove taint x:NoSchedule". */
  undo: string;
  /** Do it; 'noop' when there was nothing left to undo. */
  apply: () => Promise<'done' | 'noop'>;
}

function nodeUndoWords(u: Partial<NodeUndo>): string {
  const words = [
    u.stopped ? 'start the stopped lab node' : '',
    u.cordoned ? 'uncordon' : '',
    ...(u.taints ?? []).map((t) => `remove taint ${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`),
    (u.annotations ?? []).length ? `remove annotation${u.annotations!.length > 1 ? 's' : ''} ${u.annotations!.join(', ')}` : '',
  ].filter(Boolean);
  return [...words, 'drop the undo mark'].join(', ');
}

/** What a sweep would undo now, read-only. */
export async function planRunMarks(kube: Kube, runId?: string): Promise<SweepItem[]> {
  const out: SweepItem[] = [];
  for (const n of (await kube.list<Node>({ apiVersion: 'v1', kind: 'Node' })).items) {
    const node = n.metadata.name;
    for (const u of undos(n.metadata.annotations, runId)) {
      const undo = u.raw as Partial<NodeUndo>;
      // Only a node of the local lab this kube points at can be started by Gauntlet.
      const start = undo.stopped === 'lab-stop' && isLabNode(kube, node);
      out.push({
        object: `node ${node}`, runId: u.runId, step: u.step, undo: nodeUndoWords({ ...undo, stopped: start ? 'lab-stop' : undefined }),
        apply: async () => {
          const started = start ? await bringBack(node, 'lab-stop') : 'noop';
          const restored = await restoreNode(kube, { node, step: u.step, runId: u.runId });
          return started === 'started' || restored === 'restored' ? 'done' : 'noop';
        },
      });
    }
  }
  for (const p of (await kube.list<Pod>({ apiVersion: 'v1', kind: 'Pod' })).items) {
    for (const u of undos(p.metadata.annotations, runId)) {
      const images = (u.raw.images ?? {}) as Record<string, string>;
      out.push({
        object: `pod ${p.metadata.namespace}/${p.metadata.name}`, runId: u.runId, step: u.step,
        undo: `restore image${Object.keys(images).length > 1 ? 's' : ''} ${Object.entries(images).map(([c, i]) => `${c}=${i}`).join(', ')}, drop the undo mark`,
        apply: async () => ((await restorePod(kube, p.metadata.namespace, p.metadata.name, u.step, u.runId)) === 'restored' ? 'done' : 'noop'),
      });
    }
  }
  const { items } = await kube.list<{ metadata: { name: string; namespace: string; annotations?: Record<string, string> } }>({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', labelSelector: 'app.kubernetes.io/managed-by=gauntlet' });
  for (const np of items) {
    const mark = np.metadata.annotations?.[RUN_MARK];
    if (!mark || (runId !== undefined && mark !== runId) || !np.metadata.name.startsWith('gauntlet-partition-')) continue;
    out.push({
      object: `NetworkPolicy ${np.metadata.namespace}/${np.metadata.name}`, runId: mark, undo: 'delete it (injected by network-partition)',
      apply: async () => ((await kube.delete({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name: np.metadata.name, namespace: np.metadata.namespace })) === 'deleted' ? 'done' : 'noop'),
    });
  }
  return out;
}

export async function sweepRunMarks(kube: Kube, runId?: string): Promise<string[]> {
  const done: string[] = [];
  for (const item of await planRunMarks(kube, runId)) {
    if ((await item.apply()) === 'done') done.push(item.step ? `${item.object} (${item.step})` : item.object);
  }
  return done;
}
