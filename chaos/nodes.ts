/**
 * Node faults' shared pieces: choosing nodes (spot labels, any selector, count/percent/names,
 * never more than the blast-radius cap), and undo state kept on the Node itself (an annotation
 * per step), so a revert knows what to undo even from a journal that lost it, and reverting
 * twice is safe.
 */
import { z } from 'zod';
import type { V1Node, V1Taint } from '@kubernetes/client-node';
import { registerReverter } from '../core/changes.ts';
import { UsageError } from '../core/errors.ts';
import type { Kube } from '../core/kube.ts';
import { pick } from './select.ts';

/** Annotation on every object a run creates or changes (same mark as the deploy step's). */
export const RUN_MARK = 'gauntlet.dev/run-id';

/** Labels that say "spot capacity" on EKS, Karpenter and by convention. */
export const SPOT_LABELS: ReadonlyArray<[string, string]> = [
  ['eks.amazonaws.com/capacityType', 'SPOT'],
  ['karpenter.sh/capacity-type', 'spot'],
  ['node.kubernetes.io/lifecycle', 'spot'],
];

export const nodeSelection = z
  .strictObject({
    /** Only nodes carrying one of SPOT_LABELS. */
    spot: z.boolean().default(false),
    /** A label selector, e.g. `topology.kubernetes.io/zone=lab-a`. */
    selector: z.string().optional(),
    /** Explicit node names (then count/percent are ignored). */
    names: z.array(z.string().min(1)).min(1).optional(),
    count: z.number().int().positive().optional(),
    percent: z.number().positive().max(100).optional(),
    /** Blast-radius cap: more nodes than this refuses before acting. */
    maxNodes: z.number().int().positive().default(1),
  })
  .refine((s) => s.spot || s.selector || s.names, { message: 'name the nodes: spot: true, a selector, or names (no implicit "all nodes")' });
export type NodeSelection = z.infer<typeof nodeSelection>;

export type Node = V1Node & { metadata: NonNullable<V1Node['metadata']> & { name: string } };
export type Taint = Pick<V1Taint, 'key' | 'value' | 'effect'>;

export const isSpot = (n: Node): boolean => SPOT_LABELS.some(([k, v]) => n.metadata.labels?.[k]?.toLowerCase() === v.toLowerCase());

/** How many nodes a selection asks for, when that is known without the cluster. */
export function askedCount(s: NodeSelection): number | undefined {
  return s.names?.length ?? s.count;
}

/** Validate-time check: a selection that names more nodes than its cap is refused (exit 2). */
export function checkCap(s: NodeSelection, path: Array<string | number>): Array<[Array<string | number>, string]> {
  const n = askedCount(s);
  return n !== undefined && n > s.maxNodes ? [[path, `selects ${n} nodes, over the blast-radius cap of ${s.maxNodes} (raise maxNodes to allow it)`]] : [];
}

export function describeSelection(s: NodeSelection): string {
  const what = s.names ? s.names.join(', ') : [s.spot && 'spot', s.selector && `matching ${s.selector}`].filter(Boolean).join(' ');
  const how = s.names ? '' : s.count ? `${s.count} of the ` : s.percent ? `${s.percent}% of the ` : 'one of the ';
  return s.names ? `node${s.names.length > 1 ? 's' : ''} ${what}` : `${how}${what} nodes (cap ${s.maxNodes})`;
}

/** Resolve a selection against the cluster: seeded, sorted, never over the cap. */
export async function selectNodes(kube: Kube, s: NodeSelection, seed: number): Promise<Node[]> {
  const { items } = await kube.list<Node>({ apiVersion: 'v1', kind: 'Node', ...(s.selector ? { labelSelector: s.selector } : {}) });
  let pool = items.filter((n) => !s.spot || isSpot(n));
  if (s.names) {
    const missing = s.names.filter((name) => !items.some((n) => n.metadata.name === name));
    if (missing.length) throw new UsageError(`no such node${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
    pool = pool.filter((n) => s.names!.includes(n.metadata.name));
    if (pool.length < s.names.length) throw new UsageError(`named nodes do not all match the selection (spot/selector): ${s.names.join(', ')}`);
  }
  if (pool.length === 0) throw new UsageError(`no node matches ${describeSelection(s)}`);
  const chosen = s.names
    ? pool
    : pick(pool.map((n) => ({ name: n.metadata.name, n })), s.count ? 'fixed' : s.percent ? 'fixed-percent' : 'one', s.count ?? s.percent, seed).map((x) => x.n);
  if (chosen.length > s.maxNodes) {
    throw new UsageError(`the fault would hit ${chosen.length} nodes (${chosen.map((n) => n.metadata.name).join(', ')}), over its blast-radius cap of ${s.maxNodes}: refused before acting`, {
      hint: 'raise maxNodes if you mean it',
    });
  }
  return chosen;
}

/** What a step did to a node, as kept on the node and in the journal. */
export interface NodeUndo {
  runId: string;
  /** The step cordoned a node that was schedulable. */
  cordoned: boolean;
  /** Taints the step added (exactly these are removed). */
  taints: Taint[];
  /** Annotations the step added (removed on revert). */
  annotations?: string[];
  /** The step stopped this lab node (written before stopping it): a sweep starts it again. */
  stopped?: 'lab-stop';
}

export const undoKey = (step: string): string => `gauntlet.dev/undo-${step.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 40)}`;

const sameTaint = (a: Taint, b: Taint) => a.key === b.key && a.effect === b.effect && (a.value ?? '') === (b.value ?? '');

/**
 * Record the undo on the node, then cordon and/or add taints, in one patch. Returns what was
 * really changed (a node already cordoned is not "cordoned by us", a taint already there is not ours).
 */
export async function changeNode(kube: Kube, node: string, step: string, runId: string, want: { cordon?: boolean; taints?: Taint[]; annotations?: Record<string, string>; stopped?: 'lab-stop' }): Promise<NodeUndo> {
  const live = await kube.get<Node>({ apiVersion: 'v1', kind: 'Node', name: node });
  if (!live) throw new Error(`node ${node} is gone`);
  const had = live.spec?.taints ?? [];
  const prev = readUndo(live, step);
  const undo: NodeUndo = {
    runId,
    cordoned: (prev?.cordoned ?? false) || (!!want.cordon && !live.spec?.unschedulable),
    taints: [...(prev?.taints ?? []), ...(want.taints ?? []).filter((t) => !had.some((h) => sameTaint(h, t)))],
    annotations: [...new Set([...(prev?.annotations ?? []), ...Object.keys(want.annotations ?? {}).filter((a) => live.metadata.annotations?.[a] === undefined)])],
    ...(prev?.stopped ?? want.stopped ? { stopped: prev?.stopped ?? want.stopped } : {}),
  };
  const taints = [...had, ...(want.taints ?? []).filter((t) => !had.some((h) => sameTaint(h, t)))];
  await kube.patch({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: node, annotations: { ...want.annotations, [undoKey(step)]: JSON.stringify(undo), [RUN_MARK]: runId } },
    spec: { ...(want.cordon ? { unschedulable: true } : {}), ...(want.taints?.length ? { taints } : {}) },
  } as Node);
  return undo;
}

function readUndo(n: Node, step: string): NodeUndo | undefined {
  const raw = n.metadata.annotations?.[undoKey(step)];
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as NodeUndo;
  } catch {
    return undefined;
  }
}

/**
 * Undo a step's node change: remove exactly its taints, uncordon if it cordoned, drop its
 * annotation. The node's own record and the journal's are merged, so either suffices. A node
 * that is gone, or already restored, is a no-op.
 */
export async function restoreNode(kube: Kube, spec: { node: string; step: string; runId?: string; cordoned?: boolean; taints?: Taint[] }): Promise<'restored' | 'noop'> {
  const live = await kube.get<Node>({ apiVersion: 'v1', kind: 'Node', name: spec.node });
  if (!live) return 'noop';
  const onNode = readUndo(live, spec.step);
  if (onNode && spec.runId && onNode.runId !== spec.runId) {
    throw new Error(`node ${spec.node} carries undo state of run ${onNode.runId}, not ${spec.runId}: left as it is`);
  }
  const ours = [...(spec.taints ?? []), ...(onNode?.taints ?? [])];
  const had = live.spec?.taints ?? [];
  const taints = had.filter((h) => !ours.some((t) => sameTaint(h, t)));
  const uncordon = (spec.cordoned || onNode?.cordoned) && live.spec?.unschedulable;
  if (!onNode && taints.length === had.length && !uncordon) return 'noop';
  const key = undoKey(spec.step);
  const annotations = { ...live.metadata.annotations };
  delete annotations[key];
  for (const a of onNode?.annotations ?? []) delete annotations[a];
  if (!Object.keys(annotations).some((k) => k.startsWith('gauntlet.dev/undo-'))) delete annotations[RUN_MARK];
  // A JSON patch with a test on resourceVersion would be stricter; a merge patch of the whole
  // taint list is what kubectl taint does too.
  const nullOut = Object.fromEntries(Object.keys(live.metadata.annotations ?? {}).filter((k) => !(k in annotations)).map((k) => [k, null]));
  await kube.patch({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: spec.node, annotations: nullOut as unknown as Record<string, string> },
    spec: { taints: taints.length ? taints : null, ...(uncordon ? { unschedulable: false } : {}) },
  } as unknown as Node);
  return 'restored';
}

/**
 * The journal keeps only which nodes and which step: the node's annotation, written in the
 * same patch as the change, says what was really changed (a node cordoned before the run is
 * not uncordoned by it).
 */
registerReverter('node-restore', async (spec, env) => {
  const kube = (await env.kube()) as Kube;
  let any = false;
  for (const node of spec.nodes as string[]) {
    if ((await restoreNode(kube, { node, step: spec.step as string, runId: spec.runId as string })) === 'restored') any = true;
  }
  return any ? undefined : 'noop';
});

/** Whether a node's Ready condition is True. */
export const nodeReady = (n: Node | undefined): boolean => !!n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
