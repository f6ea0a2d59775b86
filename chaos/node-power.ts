/**
 * Making a node stop answering, and bringing it back. In the local lab its kubelet and runtime
 * stop (its pods' processes die with them, as on a lost instance), in the kind lab its container
 * stops; on another cluster the only
 * portable equivalent is deleting the Node object and force-deleting its pods, which cannot be
 * undone by Gauntlet, so it is refused unless the scenario opts in (`elsewhere: delete`).
 */
import { registerReverter } from '../core/changes.ts';
import { UsageError } from '../core/errors.ts';
import type { Kube } from '../core/kube.ts';
import { CONTEXT_NAME, labPaths, type LabPaths } from '../lab/config.ts';
import { labNodeProvider, labNodeRunning, labNodeStart, labNodeStop } from '../lab/commands.ts';
import type { Pod } from './drain.ts';
import { changeNode, restoreNode } from './nodes.ts';

export type Elsewhere = 'refuse' | 'delete';

/** Whether `node` is a real node of a lab this kube points at (the local lab's or a kind lab's worker). */
export function isLabNode(kube: Pick<Kube, 'context'>, node: string, paths: LabPaths = labPaths()): boolean {
  if (kube.context !== CONTEXT_NAME) return false;
  return labNodeProvider(node, paths) !== undefined;
}

/** How a node would be lost here, or a refusal (exit 2) before anything is done. */
export function lossMethod(kube: Pick<Kube, 'context'>, node: string, elsewhere: Elsewhere): 'lab-stop' | 'delete' {
  if (isLabNode(kube, node)) return 'lab-stop';
  if (elsewhere === 'delete') return 'delete';
  throw new UsageError(`node ${node} is not a lab node: losing it means deleting the Node object and force-deleting its pods, which Gauntlet cannot undo`, {
    hint: 'set `elsewhere: delete` on the step if that is what you want (the cloud would replace the instance)',
  });
}

/**
 * Lose the node. A lab node is marked first (its undo state says "stopped", in the annotation
 * restoreNode removes), so recovery from the cluster alone knows to start it again.
 */
export async function loseNode(kube: Kube, node: string, how: 'lab-stop' | 'delete', mark?: { step: string; runId: string }): Promise<void> {
  if (how === 'lab-stop') {
    if (mark) await changeNode(kube, node, mark.step, mark.runId, { stopped: 'lab-stop' });
    return labNodeStop({ node }); // the node's own lab (labNodeProvider), not the auto-detected one
  }
  const { items } = await kube.list<Pod>({ apiVersion: 'v1', kind: 'Pod', fieldSelector: `spec.nodeName=${node}` });
  await kube.delete({ apiVersion: 'v1', kind: 'Node', name: node });
  for (const p of items) await kube.delete({ apiVersion: 'v1', kind: 'Pod', name: p.metadata.name, namespace: p.metadata.namespace }, { gracePeriodSeconds: 0 });
}

/** Start a stopped lab node again; a running one (or a deleted node elsewhere) is a no-op. */
export async function bringBack(node: string, how: 'lab-stop' | 'delete'): Promise<'started' | 'noop'> {
  if (how !== 'lab-stop' || (await labNodeRunning(node))) return 'noop';
  await labNodeStart({ node });
  return 'started';
}

registerReverter('node-start', async (spec, env) => {
  let any = false;
  for (const n of spec.nodes as Array<{ node: string; how: 'lab-stop' | 'delete' }>) {
    if ((await bringBack(n.node, n.how)) === 'started') any = true;
    // The "stopped" mark (journals written before it existed carry no step: nothing to remove).
    if (n.how === 'lab-stop' && spec.step && (await restoreNode((await env.kube()) as Kube, { node: n.node, step: spec.step as string, runId: spec.runId as string })) === 'restored') any = true;
  }
  return any ? undefined : 'noop';
});

/** Displaced pods Ready again: as many Ready pods off the lost nodes, per namespace, as were Ready before. */
export async function readyElsewhere(kube: Kube, namespaces: readonly string[], lost: ReadonlySet<string>, before: ReadonlyMap<string, number>): Promise<boolean> {
  for (const ns of namespaces) {
    const { items } = await kube.list<Pod>({ apiVersion: 'v1', kind: 'Pod', namespace: ns });
    const ready = items.filter((p) => !p.metadata.deletionTimestamp && !lost.has(p.spec?.nodeName ?? '') && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
    if (ready < (before.get(ns) ?? 0)) return false;
  }
  return true;
}

/** Ready pods per namespace right now (what "whole again" means for readyElsewhere). */
export async function readyCounts(kube: Kube, namespaces: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const ns of namespaces) {
    const { items } = await kube.list<Pod>({ apiVersion: 'v1', kind: 'Pod', namespace: ns });
    out.set(ns, items.filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length);
  }
  return out;
}
