/**
 * The normalized scenario: what the runner uses, whatever the user wrote (TS, YAML or JSON).
 */
import type { GateSpec } from './gates.ts';

/** Where a step is declared in the scenario file. */
export type Section = 'load' | 'release' | 'faults' | 'checks';
export const SECTIONS: readonly Section[] = ['load', 'release', 'faults', 'checks'];

export interface Target {
  context?: string;
  namespace?: string;
  /** The workload under test, e.g. { kind: 'Deployment', name: 'chat-api' }. */
  workload?: { kind: string; name: string };
  /** Base URL of the service under test, when steps reach it over HTTP. */
  url?: string;
}

/**
 * Each step kind's params, keyed by `kind`. A kind's module adds its entry by declaration
 * merging (`declare module '.../core/scenario.ts' { interface StepParamsByKind { k6: K6Params } }`),
 * so `Step` is a union keyed on `kind` and the compiler checks every step built in code, every
 * `registerStep` and every switch on `kind` against its kind's own params.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface StepParamsByKind {}
export type StepKindName = keyof StepParamsByKind;

/** One step, whatever its kind: `Step<'k6'>` is a k6 step, `Step` any registered kind. */
export type Step<K extends StepKindName = StepKindName> = { [X in K]: StepOf<StepParamsByKind[X], X> }[K];

/** A step with the params `P` (what a kind's own code sees). */
export interface StepOf<P, K extends string = string> {
  /** Unique id: the user's `name`, or `<section>[<i>]-<kind>`. */
  id: string;
  kind: K;
  section: Section;
  /** Start offset on the run clock, ms. */
  at: number;
  /** How long the step (or one occurrence of it) lasts, ms; undefined = until the run ends. */
  duration?: number;
  /** Repeat period, ms (faults on a schedule). */
  every?: number;
  /** Kind-specific fields, already validated by the kind's schema. */
  params: P;
  /** Where the step was declared, for messages. */
  source: { file: string; line?: number; column?: number };
}

/**
 * The service's availability SLO and the traffic the run stands for: the run's failed requests
 * are counted against the error budget this implies (core/budget.ts).
 */
export interface SloSpec {
  /** Target share of successful requests, 0 < availability < 1 (99.9 % = 0.999). */
  availability: number;
  /** The SLO's window, ms (default 30 days). */
  window: number;
  /** Production traffic the SLO is about, requests/s: budget = (1 - availability) x rps x window. */
  rps: number;
  /** Only this step's requests count against the budget (default: every request the run made). */
  step?: string;
}

export interface Scenario {
  name: string;
  description?: string;
  file: string;
  target: Target;
  /** Maximum run time, ms: the runner stops everything (and reverts) at this point. */
  duration: number;
  seed: number;
  steps: Step[];
  gates: GateSpec[];
  /** The service's SLO, when declared: the report states the error budget the run burned. */
  slo?: SloSpec;
  /** The variables as resolved (defaults from `vars:`, overridden by `--set`); also applied to deploy manifests. */
  vars?: Record<string, string | number | boolean>;
}
