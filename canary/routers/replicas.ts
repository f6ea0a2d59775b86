/**
 * Router `replicas`: no mesh, no router. A canary Deployment with the new pod template carries the
 * Service's selector labels, so the Service spreads traffic by replica ratio. The stable
 * Deployment is never touched here.
 *
 * Rounding: for a step asking w % with S stable replicas, the canary gets
 * C = max(1, round(S x w / (100 - w))) replicas, on top of stable's (a temporary extra replica:
 * 10 % of 3 cannot be 0.33 replicas, so it is 1 canary + 3 stable = 25 %). Traffic sees
 * C / (S + C), which `gauntlet plan` prints beside the asked weight.
 */
import { registerReverter } from '../../core/changes.ts';
import type { Kube } from '../../core/kube.ts';
import type { StepContext } from '../../core/steps.ts';
import { sleep } from '../../core/proc.ts';
import { RUN_MARK } from '../strategies/deploy.ts';
import { registerRouter, type CanaryPodState, type CanaryTarget, type Placement, type Router } from '../router.ts';

export const CANARY_LABEL = 'gauntlet.dev/canary';


export function canaryReplicas(asked: number, stableReplicas: number): number {
  if (asked >= 100) return Math.max(1, stableReplicas);
  return Math.max(1, Math.round((stableReplicas * asked) / (100 - asked)));
}

export function placement(asked: number, stableReplicas: number): Placement {
  const c = canaryReplicas(asked, stableReplicas);
  return { asked, effective: Math.round((c / (c + stableReplicas)) * 1000) / 10, canaryReplicas: c, stableReplicas };
}

export const canaryName = (stable: string) => `${stable}-canary`;
const ref = (t: Pick<CanaryTarget, 'namespace' | 'stable'>) => ({ apiVersion: 'apps/v1', kind: 'Deployment', name: canaryName(t.stable), namespace: t.namespace });

interface Pod {
  metadata: { name: string; namespace: string; creationTimestamp?: string | Date; deletionTimestamp?: string | Date };
  status?: {
    conditions?: Array<{ type: string; status: string }>;
    containerStatuses?: Array<{ restartCount?: number; state?: { waiting?: { reason?: string } }; lastState?: { terminated?: { reason?: string; exitCode?: number } } }>;
  };
}

async function listPods(kube: Kube, namespace: string, stable: string): Promise<Pod[]> {
  return (await kube.list<any>({ apiVersion: 'v1', kind: 'Pod', namespace, labelSelector: `${CANARY_LABEL}=${stable}` })).items as Pod[];
}

/**
 * Out of rotation at once, then gone: scale to 0 and kill the pods without a grace period (a bad
 * canary's kept-alive connections are cut, not served for its drain time), delete the Deployment,
 * wait (bounded) until no canary pod exists. Idempotent: every step treats 404 as done.
 */
export async function removeCanary(kube: Kube, namespace: string, stable: string, runId: string): Promise<'removed' | 'absent'> {
  const r = ref({ namespace, stable });
  const dep = await kube.get<{ apiVersion: string; kind: string; metadata: { annotations?: Record<string, string> } }>(r);
  // Never remove a canary another run (or a person) made: only the one marked with this run's id.
  const mark = dep?.metadata.annotations?.[RUN_MARK];
  if (dep && mark !== runId) throw new Error(`Deployment/${r.name} in ${namespace} does not carry ${RUN_MARK}=${runId} (it has ${mark ?? 'no mark'}): not this run's, left in place`);
  if (dep) await kube.patch({ ...r, metadata: { name: r.name, namespace }, spec: { replicas: 0 } } as never).catch(() => undefined);
  const pods = await listPods(kube, namespace, stable);
  await Promise.all(pods.map((p) => kube.delete({ apiVersion: 'v1', kind: 'Pod', name: p.metadata.name, namespace }, { gracePeriodSeconds: 0 })));
  const deleted = dep ? await kube.delete(r) : 'absent';
  for (let i = 0; i < 240 && (await listPods(kube, namespace, stable)).length; i++) await sleep(250);
  return deleted === 'absent' && pods.length === 0 ? 'absent' : 'removed';
}

registerReverter('canary-replicas', async (spec, env) => {
  const kube = (await env.kube()) as Kube;
  return (await removeCanary(kube, spec.namespace as string, spec.stable as string, spec.runId as string)) === 'absent' ? 'noop' : undefined;
});

/**
 * The canary Deployment: the new pod template with stable's labels plus CANARY_LABEL (its own
 * selector: stable's ReplicaSets never select canary pods, as pod-template-hash differs and the
 * canary's ReplicaSet owns them), marked with the run id. Journaled; its revert is removeCanary.
 */
export async function createCanary(ctx: StepContext<any>, kube: Kube, t: CanaryTarget, replicas: number, where: string): Promise<string> {
  const labels = { ...(t.template.metadata?.labels ?? {}), [CANARY_LABEL]: t.stable };
  const obj = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: canaryName(t.stable), namespace: t.namespace, labels: { [CANARY_LABEL]: t.stable }, annotations: { [RUN_MARK]: t.runId } },
    spec: {
      replicas,
      selector: { matchLabels: { [CANARY_LABEL]: t.stable } },
      template: { ...t.template, metadata: { ...t.template.metadata, labels, annotations: { ...(t.template.metadata?.annotations ?? {}), [RUN_MARK]: t.runId } } },
    },
  };
  return journaled(ctx, { description: `create canary Deployment/${obj.metadata.name} in ${t.namespace} (${replicas} replica(s) ${where})`, revert: { kind: 'canary-replicas', namespace: t.namespace, stable: t.stable, runId: t.runId } }, () => kube.create(obj as never));
}

/**
 * ctx.changes.apply, giving the change's id even when `make` throws (the id is known before the
 * change is made: the caller's rollback then reverts a half-made change too). `onId` gets it first.
 */
export async function journaled(ctx: StepContext<any>, change: Parameters<StepContext<any>['changes']['apply']>[1], make: () => Promise<unknown>, onId?: (id: string) => void): Promise<string> {
  let id = '';
  await ctx.changes.apply(ctx.step.id, change, async () => {
    id = ctx.changes.outstanding.at(-1)!;
    onId?.(id);
    await make();
  });
  return id;
}

export async function scaleCanary(kube: Kube, t: CanaryTarget, replicas: number): Promise<void> {
  const r = ref(t);
  await kube.patch({ ...r, metadata: { name: r.name, namespace: t.namespace }, spec: { replicas } } as never);
}

export async function canaryPods(kube: Kube, t: CanaryTarget): Promise<CanaryPodState[]> {
  const now = Date.now();
  return (await listPods(kube, t.namespace, t.stable))
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p): CanaryPodState => {
      const cs = p.status?.containerStatuses ?? [];
      const waiting = cs.map((c) => c.state?.waiting?.reason ?? (c.lastState?.terminated ? `last exit ${c.lastState.terminated.exitCode ?? '?'} ${c.lastState.terminated.reason ?? ''}`.trim() : undefined)).find(Boolean);
      return {
        name: p.metadata.name,
        ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
        restarts: cs.reduce((a, c) => a + (c.restartCount ?? 0), 0),
        // The client deserializes known kinds (Date) but not always: accept both.
        ageSeconds: p.metadata.creationTimestamp ? (now - new Date(p.metadata.creationTimestamp).getTime()) / 1000 : 0,
        ...(waiting ? { waiting } : {}),
      };
    });
}

export async function stableReplicas(kube: Kube, t: CanaryTarget): Promise<number> {
  const s = await kube.get<{ apiVersion: string; kind: string; spec?: { replicas?: number } }>({ apiVersion: 'apps/v1', kind: 'Deployment', name: t.stable, namespace: t.namespace });
  if (!s) throw new Error(`Deployment ${t.stable} not found in ${t.namespace}`);
  return s.spec?.replicas ?? 1;
}

export const replicasRouter: Router = {
  kind: 'replicas',
  planWeight: placement,
  async start(ctx, kube, t, asked) {
    const p = placement(asked, await stableReplicas(kube, t));
    const id = await createCanary(ctx, kube, t, p.canaryReplicas!, `behind Service/${t.service}`);
    return { placement: p, changes: [id] };
  },
  async setWeight(_ctx, kube, t, asked) {
    const p = placement(asked, await stableReplicas(kube, t));
    await scaleCanary(kube, t, p.canaryReplicas!);
    return p;
  },
  pods: canaryPods,
};

registerRouter(replicasRouter);
