/**
 * Draining a node as kubectl drain and the spot handlers do: evict its pods through the
 * Eviction API (PodDisruptionBudgets respected), retry the evictions a PDB blocks (HTTP 429)
 * every `retryMs`, and stop at `deadline` whatever is left. DaemonSet and mirror pods stay
 * (their controllers would put them back); only pods in `namespaces` are touched, when given.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { Kube } from '../core/kube.ts';
import { sleep } from '../core/proc.ts';

export type Pod = V1Pod & { metadata: NonNullable<V1Pod['metadata']> & { name: string; namespace: string; uid: string } };

export interface DrainOptions {
  /** Only pods in these namespaces (the scenario's); undefined = every namespace. */
  namespaces?: readonly string[];
  retryMs: number;
  /** Epoch-free deadline: `now()` ms by which draining gives up. */
  deadline: number;
  now: () => number;
  signal: AbortSignal;
  /** Called once per pod the first time a PDB blocks its eviction. */
  onBlocked?: (pod: string) => void;
}

export interface DrainResult {
  evicted: string[];
  /** Still blocked by a PDB when the deadline came. */
  blocked: string[];
  /** `now()` when every evicted pod had left the node, or undefined if some had not by the deadline. */
  drainedAt?: number;
  /** Eviction calls made (429s included). */
  calls: number;
}

const daemon = (p: Pod) => p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet' && o.controller);
const mirror = (p: Pod) => !!p.metadata.annotations?.['kubernetes.io/config.mirror'];
const done = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

/** The pods a drain of `node` would evict. */
export async function drainable(kube: Kube, node: string, namespaces?: readonly string[]): Promise<Pod[]> {
  const { items } = await kube.list<Pod>({ apiVersion: 'v1', kind: 'Pod', fieldSelector: `spec.nodeName=${node}` });
  return items.filter((p) => !daemon(p) && !mirror(p) && !done(p) && (!namespaces || namespaces.includes(p.metadata.namespace)));
}

export async function drainNode(kube: Kube, node: string, o: DrainOptions): Promise<DrainResult> {
  const ref = (p: Pod) => `${p.metadata.namespace}/${p.metadata.name}`;
  let pending = (await drainable(kube, node, o.namespaces)).filter((p) => !p.metadata.deletionTimestamp);
  const evicted: Pod[] = [];
  const warned = new Set<string>();
  let calls = 0;
  while (pending.length && !o.signal.aborted) {
    const still: Pod[] = [];
    for (const p of pending) {
      calls++;
      const r = await kube.evict({ name: p.metadata.name, namespace: p.metadata.namespace });
      if (r === 'blocked') {
        if (!warned.has(ref(p))) o.onBlocked?.(ref(p));
        warned.add(ref(p));
        still.push(p);
      } else if (r === 'evicted') evicted.push(p);
    }
    pending = still;
    const wait = Math.min(o.retryMs, o.deadline - o.now());
    if (!pending.length || wait <= 0 || !(await sleep(wait, o.signal))) break;
  }
  // Drained = none of the evicted pods is still on the node (graceful exits take a while).
  const uids = new Set(evicted.map((p) => p.metadata.uid));
  let drainedAt: number | undefined;
  while (!o.signal.aborted) {
    const left = (await drainable(kube, node, o.namespaces)).filter((p) => uids.has(p.metadata.uid));
    if (left.length === 0) {
      drainedAt = pending.length ? undefined : o.now();
      break;
    }
    const wait = Math.min(250, o.deadline - o.now());
    if (wait <= 0 || !(await sleep(wait, o.signal))) break;
  }
  return { evicted: evicted.map(ref), blocked: pending.map(ref), drainedAt, calls };
}
