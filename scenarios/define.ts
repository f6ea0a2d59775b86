/**
 * What a scenario author writes in TypeScript:
 *
 *   import { defineScenario } from 'gauntlet/scenario';
 *   export default defineScenario({ name: 'checkout-probe', duration: '1m', checks: [...], gates: [...] });
 *
 * The file is loaded at run time with no build step (Node strips the types) and validated by the
 * same schema as YAML scenarios.
 */

export type DurationText = `${number}${'ms' | 's' | 'm' | 'h' | 'd'}` | (string & {});

export interface StepInput {
  kind: string;
  name?: string;
  at?: DurationText;
  every?: DurationText;
  duration?: DurationText;
  [field: string]: unknown;
}

export interface GateInput {
  name?: string;
  metric: 'error_rate' | 'latency_p50' | 'latency_p90' | 'latency_p95' | 'latency_p99' | 'latency_max' | 'rps' | 'requests' | 'dropped_ratio' | 'check_failures' | 'budget_burned' | 'burn_rate' | (string & {});
  step?: string;
  phase?: 'before' | 'during' | 'after' | 'all';
  where?: Record<string, string>;
  max?: number | string;
  min?: number | string;
  abortOnFail?: boolean;
}

export interface ScenarioInput {
  name: string;
  description?: string;
  target?: { context?: string; namespace?: string; workload?: string | { kind: string; name: string }; url?: string };
  duration: DurationText;
  seed?: number;
  /** Variables with defaults: `${name}` in any string, overridden by `--set name=value`. */
  vars?: Record<string, string | number | boolean>;
  load?: StepInput | StepInput[];
  release?: StepInput | StepInput[];
  faults?: StepInput[];
  checks?: StepInput[];
  gates?: GateInput[];
  /** The service's availability SLO and the traffic it is about: reports state the error budget the run burned. */
  slo?: SloInput;
}

export interface SloInput {
  /** "99.9%" or 0.999. */
  availability: number | `${number}%`;
  /** The SLO window (default 30d). */
  window?: DurationText;
  /** Production traffic the SLO is about, requests/s. */
  rps: number;
  /** Only this step's requests count against the budget (default: every request the run made). */
  step?: string;
}

export function defineScenario<const S extends ScenarioInput>(scenario: S): S {
  return scenario;
}
