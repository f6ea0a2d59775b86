/**
 * How a canary gets its share of traffic. One small interface; one file per implementation
 * (flagger's pkg/router shape): `replicas` (canary/routers/replicas.ts: a canary Deployment behind
 * the stable Service, traffic by replica ratio) and `httproute` (canary/routers/httproute.ts:
 * Gateway API HTTPRoute backendRefs weights, exact percentages independent of replicas).
 *
 * A router makes every change through ctx.changes (journaled first, revert as data), so that the
 * strategy's one rollback path is: revert the router's changes, newest first.
 */
import type { Kube } from '../core/kube.ts';
import type { StepContext } from '../core/steps.ts';

export type PodTemplate = Record<string, unknown> & { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: { containers: Array<Record<string, unknown>> } & Record<string, unknown> };

/** Resolved targets of one canary release. */
export interface CanaryTarget {
  namespace: string;
  /** The stable Deployment (target.workload). */
  stable: string;
  /** The Service in front of it. */
  service: string;
  /** The new version's pod template. */
  template: PodTemplate;
  /** Annotation value marking every object this run creates or changes. */
  runId: string;
  /** The router's own fields from the scenario (`release.router`), keyed on kind. */
  router: RouterSpec;
  /** How long a canary pod may take to become Ready (the analysis' readyTimeout), ms. */
  readyTimeoutMs?: number;
  /** Per-version Services (canary/routers/services.ts), when the strategy created them. */
  versionServices?: VersionServices;
}

/** `release.router`: how the canary gets its share. */
export type RouterSpec =
  | { kind: 'replicas' }
  | {
      kind: 'httproute';
      /** An existing HTTPRoute in the target namespace whose backendRefs to the Service get the weights. */
      route?: string;
      /** Or: the Gateway a route Gauntlet creates attaches to. */
      parentRef?: { name: string; namespace?: string; sectionName?: string };
      /** The created route's path prefix (default /<namespace>/<service>). */
      path?: string;
      hostnames?: string[];
    };

/** Services selecting one version's pods only: stable's current ReplicaSet, or the canary. */
export interface VersionServices {
  stable: string;
  canary: string;
  port: number;
}

/** Where a step's weight landed. */
export interface Placement {
  /** The weight the step asked for, %. */
  asked: number;
  /** The weight traffic should actually see, %. */
  effective: number;
  canaryReplicas?: number;
  stableReplicas?: number;
}

export interface CanaryPodState {
  name: string;
  ready: boolean;
  restarts: number;
  /** Run-independent age, s. */
  ageSeconds: number;
  waiting?: string;
}

export interface Router {
  kind: string;
  /** Describe the placement for `gauntlet plan` without touching anything. */
  planWeight(asked: number, stableReplicas: number): Placement;
  /**
   * Before the baseline (the load must reach stable through the router to learn its version):
   * route set-up that sends all traffic to stable, through ctx.changes; `onChange` gets each
   * change's id as soon as it is journaled (part of the rollback path even if prepare throws).
   */
  prepare?(ctx: StepContext<any>, kube: Kube, t: CanaryTarget, onChange: (id: string) => void): Promise<void>;
  /**
   * One-time set-up: create the canary objects at the first step's weight, through ctx.changes.
   * Returns the ids of those changes: reverting them (newest first) is the rollback path, so it
   * must take the canary out of rotation at once, then remove it.
   */
  start(ctx: StepContext<any>, kube: Kube, t: CanaryTarget, asked: number): Promise<{ placement: Placement; changes: string[] }>;
  /** Move to another step's weight. */
  setWeight(ctx: StepContext<any>, kube: Kube, t: CanaryTarget, asked: number): Promise<Placement>;
  /** The canary's pods, for health checks (restarts, readiness). */
  pods(kube: Kube, t: CanaryTarget): Promise<CanaryPodState[]>;
  /** Per-version Services are part of how this router splits traffic (the strategy creates them first). */
  needsVersionServices?: boolean;
  /** Before stable rolls to the new version: hand traffic back to the stable Service (which then spreads it over stable and canary pods during the roll). */
  beforePromotion?(ctx: StepContext<any>, kube: Kube, t: CanaryTarget): Promise<void>;
}

const routers = new Map<string, Router>();

export function registerRouter(r: Router): void {
  routers.set(r.kind, r);
}

export function routerFor(kind: string): Router | undefined {
  return routers.get(kind);
}
