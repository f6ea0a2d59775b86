/**
 * Router `httproute`: Gateway API weights. The canary gets exactly the step's percentage,
 * independent of replicas, through an HTTPRoute's backendRefs: every backendRef to the target's
 * Service is split into `<service>-stable` (stable's pods only) and `<service>-canary` (the
 * canary's pods only), both created by canary/routers/services.ts, with weights in per-mille of
 * that backendRef's share (`weight x (1000 - 10 w)` and `weight x 10 w`; other backendRefs of the
 * rule keep their share: their weight x 1000).
 *
 * - `route: <name>`: an existing HTTPRoute in the target's namespace. Its spec is journaled
 *   before it is changed; the revert puts that spec back exactly.
 * - `parentRef: {name, namespace}`: Gauntlet creates `HTTPRoute/<service>-gauntlet` on that
 *   Gateway (path prefix `/<namespace>/<service>`, or `path`), marked with the run id, removed at
 *   the end.
 *
 * Changes, in ledger order (reverted newest first): the per-version Services, the route (switched
 * to them with the canary at 0, or created so), the canary Deployment, the canary's weight. So a
 * rollback's first action is canary weight 0, then the canary pods go, then the route is put back
 * (or deleted), then the Services. The stable Deployment and Service are never touched.
 */
import { registerReverter } from '../../core/changes.ts';
import type { Kube } from '../../core/kube.ts';
import { sleep } from '../../core/proc.ts';
import type { StepContext } from '../../core/steps.ts';
import { RUN_MARK } from '../strategies/deploy.ts';
import { registerRouter, type CanaryTarget, type Placement, type Router, type RouterSpec, type VersionServices } from '../router.ts';
import { canaryPods, createCanary, journaled, scaleCanary, stableReplicas } from './replicas.ts';
import { readyEndpoints } from './services.ts';

type HttpRouteSpec = Extract<RouterSpec, { kind: 'httproute' }>;
export interface BackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  [k: string]: unknown;
}
export interface RouteSpec {
  parentRefs?: unknown[];
  hostnames?: string[];
  rules?: Array<{ backendRefs?: BackendRef[]; [k: string]: unknown }>;
  [k: string]: unknown;
}
type Route = { apiVersion: string; kind: string; metadata: { name: string; namespace: string; annotations?: Record<string, string> }; spec: RouteSpec; status?: { parents?: Array<{ conditions?: Array<{ type: string; status: string; message?: string }> }> } };

const API = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' };
/** Weights are per-mille of the split backendRef's share: steps to 0.1 % are exact. */
export const SCALE = 1000;

export const createdRouteName = (service: string) => `${service}-gauntlet`;

export function weights(asked: number): { stable: number; canary: number } {
  const canary = Math.min(SCALE, Math.max(0, Math.round((asked * SCALE) / 100)));
  return { stable: SCALE - canary, canary };
}

/** Canary replicas for a step: capacity follows the weight (the weight itself does not depend on it). */
export const canaryReplicasFor = (asked: number, stable: number) => Math.max(1, Math.ceil((stable * asked) / 100));

export function placementOf(asked: number, stable: number): Placement {
  return { asked, effective: weights(asked).canary / (SCALE / 100), canaryReplicas: canaryReplicasFor(asked, stable), stableReplicas: stable };
}

const isServiceRef = (r: BackendRef, service: string, namespace: string, routeNs: string) =>
  (r.group ?? '') === '' && (r.kind ?? 'Service') === 'Service' && r.name === service && (r.namespace ?? routeNs) === namespace;

/**
 * Pure: `original` with every backendRef to Service `service` split into the stable-only and
 * canary-only Services at `asked` %. Throws when no rule sends traffic to `service`.
 */
export function splitRoute(original: RouteSpec, routeNs: string, service: string, namespace: string, vs: VersionServices, asked: number): RouteSpec {
  const w = weights(asked);
  let split = 0;
  const rules = (original.rules ?? []).map((rule) => {
    const refs = rule.backendRefs ?? [];
    if (!refs.some((r) => isServiceRef(r, service, namespace, routeNs))) return rule;
    return {
      ...rule,
      backendRefs: refs.flatMap((r) => {
        const base = r.weight ?? 1;
        if (!isServiceRef(r, service, namespace, routeNs)) return [{ ...r, weight: base * SCALE }];
        split++;
        return [
          { ...r, name: vs.stable, weight: base * w.stable },
          { ...r, name: vs.canary, weight: base * w.canary },
        ];
      }),
    };
  });
  if (!split) throw new Error(`no rule of the HTTPRoute sends traffic to Service/${service}${namespace !== routeNs ? ` in ${namespace}` : ''}: nothing to split`);
  return { ...original, rules };
}

/** Pure: the route with every backendRef to `canary` at weight 0 (undefined when none carries weight). */
export function zeroCanary(spec: RouteSpec, canary: string): RouteSpec | undefined {
  let changed = false;
  const rules = (spec.rules ?? []).map((rule) => ({
    ...rule,
    ...(rule.backendRefs
      ? {
          backendRefs: rule.backendRefs.map((r) => {
            if (r.name !== canary || (r.kind ?? 'Service') !== 'Service' || r.weight === 0) return r;
            changed = true;
            return { ...r, weight: 0 };
          }),
        }
      : {}),
  }));
  return changed ? { ...spec, rules } : undefined;
}

/** A merge patch turning `current` into `original` exactly (keys added since are removed). */
export function restorePatch(current: RouteSpec, original: RouteSpec): Record<string, unknown> {
  const patch: Record<string, unknown> = { ...original };
  for (const k of Object.keys(current)) if (!(k in original)) patch[k] = null;
  return patch;
}

const refOf = (namespace: string, name: string) => ({ ...API, name, namespace });

registerReverter('httproute-weight-zero', async (spec, env) => {
  const kube = (await env.kube()) as Kube;
  const r = spec.ref as ReturnType<typeof refOf>;
  const cur = await kube.get<Route>(r);
  const zeroed = cur && zeroCanary(cur.spec, spec.canary as string);
  if (!zeroed) return 'noop';
  await kube.patch({ ...r, metadata: { name: r.name, namespace: r.namespace }, spec: { rules: zeroed.rules } } as never);
});

registerReverter('httproute-restore', async (spec, env) => {
  const kube = (await env.kube()) as Kube;
  const r = spec.ref as ReturnType<typeof refOf>;
  const cur = await kube.get<Route>(r);
  if (!cur) return 'noop';
  const original = spec.spec as RouteSpec;
  if (JSON.stringify(cur.spec) === JSON.stringify(original) && cur.metadata.annotations?.[RUN_MARK] === undefined) return 'noop';
  await kube.patch({ ...r, metadata: { name: r.name, namespace: r.namespace, annotations: { [RUN_MARK]: (spec.annotation as string | null) ?? null } }, spec: restorePatch(cur.spec, original) } as never);
});

interface State {
  ref: ReturnType<typeof refOf>;
  original: RouteSpec;
  /** The change that switched an existing route (undone before promotion), or created one. */
  routeChange: string;
  created: boolean;
}
const state = new WeakMap<CanaryTarget, State>();

function spec(t: CanaryTarget): HttpRouteSpec {
  if (t.router.kind !== 'httproute') throw new Error('httproute router without its fields');
  return t.router;
}

function services(t: CanaryTarget): VersionServices {
  if (!t.versionServices) throw new Error('httproute router: the per-version Services were not created');
  return t.versionServices;
}

/** Bounded (30 s): the route's parents report Accepted (the Gateway implementation took it). */
async function accepted(kube: Kube, ref: ReturnType<typeof refOf>): Promise<void> {
  let last = '';
  for (let i = 0; i < 120; i++) {
    const r = await kube.get<Route>(ref);
    const conds = (r?.status?.parents ?? []).flatMap((p) => p.conditions ?? []);
    const acc = conds.find((c) => c.type === 'Accepted');
    if (acc?.status === 'True' && conds.every((c) => c.type !== 'ResolvedRefs' || c.status === 'True')) return;
    last = conds.map((c) => `${c.type}=${c.status}${c.message ? ` (${c.message})` : ''}`).join(', ');
    await sleep(250);
  }
  throw new Error(`HTTPRoute/${ref.name} in ${ref.namespace} not accepted by its Gateway after 30 s${last ? `: ${last}` : ' (no status: is a Gateway API implementation running?)'}`);
}

async function setWeights(kube: Kube, t: CanaryTarget, s: State, asked: number): Promise<void> {
  const next = splitRoute(s.original, s.ref.namespace, t.service, t.namespace, services(t), asked);
  await kube.patch({ ...s.ref, metadata: { name: s.ref.name, namespace: s.ref.namespace }, spec: { rules: next.rules } } as never);
}

export const httpRouteRouter: Router = {
  kind: 'httproute',
  needsVersionServices: true,
  planWeight: placementOf,
  async prepare(ctx, kube, t, onChange) {
    const r = spec(t);
    const vs = services(t);
    if (r.route) {
      const ref = refOf(t.namespace, r.route);
      const cur = await kube.get<Route>(ref);
      if (!cur) throw new Error(`HTTPRoute ${r.route} not found in ${t.namespace}`);
      const original = cur.spec;
      const next = splitRoute(original, t.namespace, t.service, t.namespace, vs, 0);
      const routeChange = await journaled(
        ctx,
        { description: `switch HTTPRoute/${r.route} in ${t.namespace} from Service/${t.service} to Service/${vs.stable} (1000) + Service/${vs.canary} (0); its spec as before the run is the revert`, revert: { kind: 'httproute-restore', ref, spec: original, annotation: cur.metadata.annotations?.[RUN_MARK] ?? null } },
        () => kube.patch({ ...ref, metadata: { name: r.route, namespace: t.namespace, annotations: { [RUN_MARK]: t.runId } }, spec: { rules: next.rules } } as never),
        onChange,
      );
      state.set(t, { ref, original, routeChange, created: false });
      await accepted(kube, ref);
    } else {
      const name = createdRouteName(t.service);
      const ref = refOf(t.namespace, name);
      const original: RouteSpec = {
        parentRefs: [{ name: r.parentRef!.name, ...(r.parentRef!.namespace ? { namespace: r.parentRef!.namespace } : {}), ...(r.parentRef!.sectionName ? { sectionName: r.parentRef!.sectionName } : {}) }],
        ...(r.hostnames?.length ? { hostnames: r.hostnames } : {}),
        rules: [{ matches: [{ path: { type: 'PathPrefix', value: r.path ?? `/${t.namespace}/${t.service}` } }], backendRefs: [{ name: t.service, port: vs.port }] }],
      };
      const routeChange = await journaled(
        ctx,
        { description: `create HTTPRoute/${name} in ${t.namespace} on Gateway ${r.parentRef!.namespace ? `${r.parentRef!.namespace}/` : ''}${r.parentRef!.name} (path ${r.path ?? `/${t.namespace}/${t.service}`}): Service/${vs.stable} (1000) + Service/${vs.canary} (0)`, revert: { kind: 'deploy', ref, runId: t.runId } },
        () => kube.create({ ...ref, metadata: { name, namespace: t.namespace, annotations: { [RUN_MARK]: t.runId } }, spec: splitRoute(original, t.namespace, t.service, t.namespace, vs, 0) } as never),
        onChange,
      );
      state.set(t, { ref, original, routeChange, created: true });
      await accepted(kube, ref);
    }
  },
  async start(ctx, kube, t, asked) {
    const s = state.get(t);
    if (!s) throw new Error('httproute router: start before prepare');
    const p = placementOf(asked, await stableReplicas(kube, t));
    const vs = services(t);
    const changes: string[] = [];
    await createCanary(ctx, kube, t, p.canaryReplicas!, `behind Service/${vs.canary}`).then((id) => changes.push(id));
    // Weight only once the canary Service has a ready endpoint: a weight on a Service without
    // endpoints is that share of requests answered 503 by the router. A canary never Ready stays
    // at 0 (the analysis rolls it back at its Ready deadline, from its pods).
    const until = Date.now() + (t.readyTimeoutMs ?? 60_000);
    while (!(await readyEndpoints(kube, t.namespace, vs.canary)) && Date.now() < until && !ctx.signal.aborted) await sleep(250);
    const ready = (await readyEndpoints(kube, t.namespace, vs.canary)) > 0;
    // The weight is its own change: its revert (canary weight 0) is the first thing a rollback does.
    await journaled(
      ctx,
      { description: `HTTPRoute/${s.ref.name}: Service/${vs.canary} weight ${p.effective} % (its revert: weight 0)`, revert: { kind: 'httproute-weight-zero', ref: s.ref, canary: vs.canary } },
      async () => {
        if (ready) await setWeights(kube, t, s, asked);
      },
      (id) => changes.push(id),
    );
    if (!ready) return { placement: { ...p, effective: 0 }, changes };
    return { placement: p, changes };
  },
  async setWeight(_ctx, kube, t, asked) {
    const s = state.get(t)!;
    const p = placementOf(asked, await stableReplicas(kube, t));
    // Capacity first, then the share.
    await scaleCanary(kube, t, p.canaryReplicas!);
    await setWeights(kube, t, s, asked);
    return p;
  },
  async beforePromotion(ctx: StepContext<any>, kube, t) {
    const s = state.get(t)!;
    // Back to the user's Service (stable and canary pods) while stable rolls: the stable-only
    // Service selects the old ReplicaSet, which the roll removes.
    if (s.created) await kube.patch({ ...s.ref, metadata: { name: s.ref.name, namespace: s.ref.namespace }, spec: { rules: s.original.rules } } as never);
    else {
      const f = await ctx.changes.revertOne(s.routeChange);
      if (f) throw new Error(`could not put HTTPRoute/${s.ref.name} back before promotion: ${f.error}`);
    }
  },
  pods: canaryPods,
};

registerRouter(httpRouteRouter);
