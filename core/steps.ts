/**
 * Step kinds register themselves here, keyed by `kind`, so load, chaos, canary and policy
 * modules plug in without touching the runner. Adding a step kind is adding a file.
 */
import type { z } from 'zod';
import type { ChangeLedger } from './changes.ts';
import type { Journal, RunClock } from './journal.ts';
import type { GauntletOptions } from './options.ts';
import type { Scenario, Section, StepKindName, StepOf, StepParamsByKind } from './scenario.ts';
import type { GateSpec } from './gates.ts';

export interface StepContext<P = unknown> {
  /** The run's id: marks what the run creates (annotation gauntlet.dev/run-id). */
  runId: string;
  step: StepOf<P>;
  scenario: Scenario;
  journal: Journal;
  clock: RunClock;
  /** Aborted when the run stops: Ctrl-C, max duration, a hard gate failing. Steps must return promptly. */
  signal: AbortSignal;
  /** Run-clock ms by which this step must have finished. */
  deadline: number;
  options: GauntletOptions;
  changes: ChangeLedger;
  runDir: string;
  /** Lazily connected Kubernetes adapter (core/kube.ts), for steps that need the cluster. */
  kube: () => Promise<import('./kube.ts').Kube>;
  progress: (line: string) => void;
}

export interface StepKind<P = unknown, K extends string = string> {
  kind: K;
  /** Sections this kind may be declared in. */
  sections: readonly Section[];
  /** One line for `--help` and error messages. */
  summary: string;
  /** Schema of the kind's own fields (besides kind, name, at, every, duration). */
  params: z.ZodType<P>;
  /** Whether the step talks to a Kubernetes cluster (validate never does; run/plan resolve context). */
  needsCluster?: boolean;
  /** Cross-field checks against the whole scenario, at validate time: [relative path, message]. */
  check?(step: StepOf<P>, scenario: Omit<Scenario, 'steps'>): Array<[Array<string | number>, string]>;
  /**
   * Gates the step brings besides the scenario's (a k6 script's thresholds). Resolved before
   * the run starts, so the one gate set is journaled in run.start and judges the run.
   */
  gates?(step: StepOf<P>, scenario: Scenario, options: GauntletOptions): Promise<GateSpec[]>;
  /**
   * What the step records, so `validate` can refuse gates nothing would measure: `traffic` when
   * it records requests (samples/windows), the label keys on them, and the figures it may record.
   * A kind that does not declare it is assumed to be able to record anything.
   */
  produces?(step: StepOf<P>): StepProduces;
  /** Versions of external tools the kind will use, for provenance (e.g. { k6: 'v1.8.1' }). */
  tools?(options: GauntletOptions): Promise<Record<string, string>>;
  /** Dry-run lines: what would be done, to what, when. Never touches anything. */
  plan(step: StepOf<P>, scenario: Scenario): string[];
  /**
   * For `plan` with a reachable cluster: exactly what the step would hit now (nodes, pods) and
   * the PodDisruptionBudgets' effect. Reads only; the run resolves targets again when it acts.
   */
  targets?(step: StepOf<P>, scenario: Scenario, kube: import('./kube.ts').Kube): Promise<string[]>;
  /** Do it. Record observations in the journal; make changes only through ctx.changes. */
  run(ctx: StepContext<P>): Promise<void>;
}

export interface StepProduces {
  /** Requests (samples, load windows): error_rate, latency, rps, requests, dropped_ratio. */
  traffic?: boolean;
  /** Check verdicts (egress-probe rows): check_failures. */
  checks?: boolean;
  /** Label keys on its samples/windows; undefined = unknown (any label may appear). */
  labels?: string[];
  figures?: string[];
}

const kinds = new Map<string, StepKind<any>>();

/** Kinds designed but not shipped yet: `validate` names them instead of calling them unknown. */
export const PLANNED_KINDS: Record<string, string> = {
  'canary-weighted': 'weighted (Gateway API) canaries are kind canary with `router: {kind: httproute, route: <name>}` or `parentRef`',
  'node-stop': 'node faults (use node-loss)',
};

/** The kind's params type is checked against its entry in StepParamsByKind. */
export function registerStep<K extends StepKindName>(kind: StepKind<StepParamsByKind[K], K>): void {
  if (kinds.has(kind.kind)) throw new Error(`step kind ${kind.kind} registered twice`);
  kinds.set(kind.kind, kind as StepKind<any>);
}

export function stepKind(kind: string): StepKind<any> | undefined {
  return kinds.get(kind);
}

export function stepKinds(): Array<StepKind<any>> {
  return [...kinds.values()];
}
