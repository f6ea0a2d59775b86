/**
 * The `-o json` documents of the commands, one per command, each with a versioned JSON Schema in
 * cli/schema/ (`schema` names it). Numbers are numbers, with the unit in the field name or in a
 * `unit` field beside them; nothing is a display string a script would have to parse.
 */
import type { GateSpec, Verdict } from '../core/gates.ts';
import { describeSelection, describeThreshold, unitOf } from '../core/gates.ts';
import { budgetRequests } from '../core/budget.ts';
import type { Scenario } from '../core/scenario.ts';
import type { Plan } from '../scenarios/plan.ts';
import type { RunResult } from '../scenarios/runner.ts';
import type { CapacityResult, SurgeResult } from '../scenarios/load-runs.ts';
import type { ProbePlan, ProbeResult } from '../policies/probe.ts';

export interface GateDoc {
  name: string;
  metric: string;
  /** ratio (0..1), ms, count, req/s, or a figure's unit (s, x); thresholds are in this unit. */
  unit: string;
  step?: string;
  phase?: string;
  where?: Record<string, string>;
  max?: number;
  min?: number;
  abortOnFail: boolean;
  /** The same, for people: `error_rate{phase=during} ≤ 2%`. */
  description: string;
}

export function gateDoc(g: GateSpec): GateDoc {
  const unit = unitOf(g.metric) || (/seconds$/i.test(g.metric) ? 's' : '');
  return {
    name: g.name,
    metric: g.metric,
    unit,
    ...(g.step ? { step: g.step } : {}),
    ...(g.phase ? { phase: g.phase } : {}),
    ...(g.where ? { where: g.where } : {}),
    ...(g.max !== undefined ? { max: g.max } : {}),
    ...(g.min !== undefined ? { min: g.min } : {}),
    abortOnFail: Boolean(g.abortOnFail),
    description: `${g.metric}${describeSelection(g)} ${describeThreshold(g, unit === 's' ? 's' : unitOf(g.metric))}`,
  };
}

export function validateDoc(file: string, s: Scenario) {
  return {
    schema: 'gauntlet/validate/v1' as const,
    valid: true as const,
    file,
    name: s.name,
    durationMs: s.duration,
    seed: s.seed,
    steps: s.steps.map((x) => ({ id: x.id, kind: x.kind, section: x.section, atMs: x.at, ...(x.duration !== undefined ? { durationMs: x.duration } : {}), ...(x.every !== undefined ? { everyMs: x.every } : {}) })),
    gates: s.gates.map(gateDoc),
    ...(s.slo ? { slo: { availability: s.slo.availability, windowMs: s.slo.window, rps: s.slo.rps, ...(s.slo.step ? { step: s.slo.step } : {}), budgetRequests: budgetRequests(s.slo) } } : {}),
    issues: [],
  };
}

export function invalidDoc(file: string, issues: Array<{ file: string; line?: number; column?: number; path: string; message: string }>) {
  return { schema: 'gauntlet/validate/v1' as const, valid: false as const, file, issues };
}

export function planDoc(p: Plan, s: Scenario) {
  const { gates: _prose, steps, ...rest } = p;
  return {
    schema: 'gauntlet/plan/v1' as const,
    ...rest,
    steps: steps.map(({ windows, ...st }) => ({ ...st, windows: windows.map(([startMs, endMs]) => ({ startMs, endMs })) })),
    gates: s.gates.map(gateDoc),
  };
}

/** `run -o json`: the verdict flat (no `.verdict.verdict`), gates with numeric thresholds. */
export function runDoc(r: Pick<RunResult, 'runId' | 'runDir' | 'status' | 'verdict' | 'exitCode' | 'unreverted' | 'reportFiles'> & { events?: RunResult['events'] }, gates?: readonly GateSpec[]) {
  const v: Verdict = r.verdict;
  // Without the scenario at hand (load runs), the gates are the ones run.start journaled.
  gates ??= ((r.events?.find((e) => e.type === 'run.start') as { scenario?: { gates?: GateSpec[] } } | undefined)?.scenario?.gates ?? []);
  const spec = new Map(gates.map((g) => [g.name, g]));
  return {
    schema: 'gauntlet/run/v1' as const,
    runId: r.runId,
    runDir: r.runDir,
    status: r.status,
    verdict: v.verdict,
    reasons: v.reasons,
    exitCode: r.exitCode,
    gates: v.gates.map((g) => {
      const s = spec.get(g.name);
      return {
        name: g.name,
        metric: g.metric,
        unit: g.unit,
        selector: g.selector,
        ...(g.observed !== undefined ? { observed: g.observed } : {}),
        ...(s?.max !== undefined ? { max: s.max } : {}),
        ...(s?.min !== undefined ? { min: s.min } : {}),
        verdict: g.verdict,
        samples: g.samples,
      };
    }),
    unreverted: r.unreverted,
    reports: r.reportFiles,
  };
}

/** `load surge -o json`: the surge verdict (baseline and hold.rps req/s, hold.p99 ms, errorRate 0..1) and the run directory. */
export function surgeDoc(r: SurgeResult) {
  const { run, ...verdict } = r;
  return { schema: 'gauntlet/load-surge/v1' as const, ...verdict, runDir: run.runDir };
}

/** `load capacity -o json`: the capacity verdict (rates req/s) and the run directory. */
export function capacityDoc(r: CapacityResult) {
  const { run, ...verdict } = r;
  return { schema: 'gauntlet/load-capacity/v1' as const, ...verdict, runDir: run.runDir };
}

/** `policies probe -o json`: the probe result, plan included (seconds and lifetimeSeconds are seconds). */
export function probeDoc(r: ProbeResult) {
  return { schema: 'gauntlet/policies-probe/v1' as const, ...r };
}

/** `policies probe --dry-run -o json`: the plan only; nothing was created. */
export function probePlanDoc(p: ProbePlan) {
  return { schema: 'gauntlet/policies-probe-plan/v1' as const, dryRun: true as const, ...p };
}
