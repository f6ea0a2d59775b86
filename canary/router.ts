/**
 * How a canary gets its share of traffic. One small interface; one file per implementation
 * (flagger's pkg/router shape): `replicas` (canary/routers/replicas.ts: a canary Deployment behind
 * the stable Service, traffic by replica ratio) today; `weighted` (Gateway API HTTPRoute
 * backendRefs weights) plugs in as one more file registered under its kind.
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
   * One-time set-up: create the canary objects at the first step's weight, through ctx.changes.
   * Returns the ids of those changes: reverting them (newest first) is the rollback path, so it
   * must take the canary out of rotation at once, then remove it.
   */
  start(ctx: StepContext<any>, kube: Kube, t: CanaryTarget, asked: number): Promise<{ placement: Placement; changes: string[] }>;
  /** Move to another step's weight. */
  setWeight(ctx: StepContext<any>, kube: Kube, t: CanaryTarget, asked: number): Promise<Placement>;
  /** The canary's pods, for health checks (restarts, readiness). */
  pods(kube: Kube, t: CanaryTarget): Promise<CanaryPodState[]>;
}

const routers = new Map<string, Router>();

export function registerRouter(r: Router): void {
  routers.set(r.kind, r);
}

export function routerFor(kind: string): Router | undefined {
  return routers.get(kind);
}
