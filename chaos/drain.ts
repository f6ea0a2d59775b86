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

/** Evictions in flight at once per node (kubectl drain has no cap; a node holds at most ~110 pods). */
export const EVICTION_CONCURRENCY = 32;

export async function drainNode(kube: Kube, node: string, o: DrainOptions): Promise<DrainResult> {
  const ref = (p: Pod) => `${p.metadata.namespace}/${p.metadata.name}`;
  const queue = (await drainable(kube, node, o.namespaces)).filter((p) => !p.metadata.deletionTimestamp);
  const evicted: Pod[] = [];
  const pending: Pod[] = [];
  let calls = 0;
  // As kubectl drain does: every pod its own eviction loop, retried on 429 every retryMs until the
  // deadline. One pod a PDB blocks never holds up the others (a storm drains many nodes whose pods
  // share PDBs: a sequential pass would wait out every blocked pod in turn).
  const evictOne = async (p: Pod): Promise<void> => {
    for (let first = true; ; first = false) {
      calls++;
      const r = await kube.evict({ name: p.metadata.name, namespace: p.metadata.namespace });
      if (r === 'evicted') return void evicted.push(p);
      if (r === 'absent') return;
      if (first) o.onBlocked?.(ref(p));
      const wait = Math.min(o.retryMs, o.deadline - o.now());
      if (o.signal.aborted || wait <= 0 || !(await sleep(wait, o.signal))) return void pending.push(p);
    }
  };
  const work = [...queue];
  await Promise.all(Array.from({ length: Math.min(EVICTION_CONCURRENCY, work.length) }, async () => {
    for (let p = work.shift(); p; p = work.shift()) {
      if (o.signal.aborted) pending.push(p);
      else await evictOne(p);
    }
  }));
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
