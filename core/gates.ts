/**
 * Gates: thresholds evaluated from the journal alone, like k6's thresholds block.
 * A gate with nothing to measure is "no-data", which makes the run inconclusive, never a pass.
 */
import { aggregate, faultWindows, figures, type Phase, type Selection } from './analysis.ts';
import { errorBudget, journaledSlo } from './budget.ts';
import type { JournalEvent, Labels } from './events.ts';

export const LATENCY_METRICS = {
  latency_p50: 0.5,
  latency_p90: 0.9,
  latency_p95: 0.95,
  latency_p99: 0.99,
  latency_max: 1,
} as const;

/** Built-in metrics; any other name is a figure a step recorded (e.g. rollbackSeconds). */
export const BUILTIN_METRICS = ['error_rate', 'requests', 'rps', 'dropped_ratio', 'check_failures', ...Object.keys(LATENCY_METRICS), 'budget_burned', 'burn_rate'] as const;

/** Metrics against the scenario's SLO (core/budget.ts): they need `slo:`. */
export const BUDGET_METRICS = ['budget_burned', 'burn_rate'] as const;

export interface GateSpec {
  name: string;
  metric: string;
  step?: string;
  phase?: Phase | 'all';
  where?: Labels;
  max?: number;
  min?: number;
  /** Stop the run as soon as this gate fails (evaluated live). */
  abortOnFail?: boolean;
}

export type GateVerdict = 'pass' | 'fail' | 'no-data';

export interface GateResult {
  name: string;
  metric: string;
  /** Human description of the selection, e.g. `{phase=during, version=v2}`. */
  selector: string;
  observed?: number;
  unit: string;
  threshold: string;
  verdict: GateVerdict;
  /** How many raw observations the number is computed from. */
  samples: number;
}

export function unitOf(metric: string): string {
  if (metric === 'error_rate' || metric === 'dropped_ratio' || metric === 'budget_burned') return 'ratio';
  if (metric === 'burn_rate') return 'x';
  if (metric in LATENCY_METRICS) return 'ms';
  if (metric === 'requests' || metric === 'check_failures') return 'count';
  if (metric === 'rps') return 'req/s';
  return '';
}

export function describeSelection(g: Pick<GateSpec, 'step' | 'phase' | 'where'>): string {
  const parts: string[] = [];
  if (g.step) parts.push(`step=${g.step}`);
  if (g.phase && g.phase !== 'all') parts.push(`phase=${g.phase}`);
  for (const [k, v] of Object.entries(g.where ?? {})) parts.push(`${k}=${v}`);
  return parts.length ? `{${parts.join(', ')}}` : '';
}

export function describeThreshold(g: Pick<GateSpec, 'max' | 'min' | 'metric'>, unit = unitOf(g.metric)): string {
  const fmt = (x: number) => formatValue(x, unit);
  if (g.max !== undefined && g.min !== undefined) return `${fmt(g.min)} ≤ x ≤ ${fmt(g.max)}`;
  if (g.max !== undefined) return `≤ ${fmt(g.max)}`;
  if (g.min !== undefined) return `≥ ${fmt(g.min)}`;
  return 'recorded';
}

export function formatValue(x: number, unit: string): string {
  // Below 0.01 % two decimals would say 0 % (a budget share, a tiny error rate): keep three significant digits.
  if (unit === 'ratio') return x !== 0 && Math.abs(x) < 0.0001 ? `${Number((x * 100).toPrecision(3))}%` : `${trim(x * 100, 2)}%`;
  if (unit === 'ms') return `${trim(x, x < 10 ? 2 : 1)} ms`;
  if (unit === 'count') return String(Math.round(x));
  if (unit === 'x') return `${trim(x, 2)}x`;
  return unit ? `${trim(x, 2)} ${unit}` : trim(x, 3);
}

function trim(x: number, digits: number): string {
  return Number(x.toFixed(digits)).toString();
}

/** Measure one gate's metric over the journal. */
export function measure(events: readonly JournalEvent[], g: GateSpec, windows = faultWindows(events)): { value?: number; samples: number; unit: string } {
  const sel: Selection = { step: g.step, phase: g.phase, where: g.where };
  if ((BUDGET_METRICS as readonly string[]).includes(g.metric)) {
    const unit = unitOf(g.metric);
    const slo = journaledSlo(events);
    if (!slo) return { samples: 0, unit };
    const b = errorBudget(events, slo, sel, windows);
    if (b.requests === 0) return { samples: 0, unit };
    return { value: g.metric === 'budget_burned' ? b.burned : b.burnRate, samples: b.requests, unit };
  }
  if ((BUILTIN_METRICS as readonly string[]).includes(g.metric)) {
    const a = aggregate(events, sel, windows);
    const unit = unitOf(g.metric);
    if (g.metric === 'check_failures') return a.checks === 0 ? { samples: 0, unit } : { value: a.checkFailures, samples: a.checks, unit };
    if (a.requests === 0) return { samples: 0, unit };
    // Latency is over successful responses only: none of them, nothing to judge.
    if (g.metric in LATENCY_METRICS) return { ...(a.latency.n ? { value: a.latency.quantile(LATENCY_METRICS[g.metric as keyof typeof LATENCY_METRICS]) } : {}), samples: a.latency.n, unit };
    let value: number | undefined;
    if (g.metric === 'error_rate') value = a.errorRate;
    else if (g.metric === 'requests') value = a.requests;
    else if (g.metric === 'rps') value = a.seconds > 0 ? a.requests / a.seconds : undefined;
    else if (g.metric === 'dropped_ratio') value = a.dropped / (a.requests + a.dropped);
    else value = a.latency.quantile(LATENCY_METRICS[g.metric as keyof typeof LATENCY_METRICS]);
    return { value, samples: a.requests, unit };
  }
  const fs = figures(events, { ...sel, where: g.where }, windows).filter((f) => f.name === g.metric);
  if (fs.length === 0) return { samples: 0, unit: '' };
  // Several recordings of one figure: the gate holds for the worst of them.
  const values = fs.map((f) => f.value);
  const value = g.max !== undefined ? Math.max(...values) : g.min !== undefined ? Math.min(...values) : values.at(-1)!;
  return { value, samples: fs.length, unit: fs[0]!.unit };
}

export function evaluateGate(events: readonly JournalEvent[], g: GateSpec, windows = faultWindows(events)): GateResult {
  const m = measure(events, g, windows);
  let verdict: GateVerdict = 'no-data';
  if (m.value !== undefined && Number.isFinite(m.value)) {
    const ok = (g.max === undefined || m.value <= g.max) && (g.min === undefined || m.value >= g.min);
    verdict = ok ? 'pass' : 'fail';
  }
  return {
    name: g.name,
    metric: g.metric,
    selector: describeSelection(g),
    ...(m.value !== undefined ? { observed: m.value } : {}),
    unit: m.unit,
    threshold: describeThreshold(g, m.unit),
    verdict,
    samples: m.samples,
  };
}

export type RunVerdict = 'pass' | 'fail' | 'inconclusive';

export interface Verdict {
  verdict: RunVerdict;
  gates: GateResult[];
  /** Why the run is not a plain pass (empty when it is). */
  reasons: string[];
}

/**
 * The run's verdict. `fail` when any gate failed; `inconclusive` when any gate had no data,
 * nothing was measured at all, the run did not complete, or the load generator fell short of
 * the asked rate; `pass` only when every gate passed on real measurements.
 */
export function evaluateGates(events: readonly JournalEvent[], gates: readonly GateSpec[]): Verdict {
  const windows = faultWindows(events);
  const ineffective = events.filter((e) => e.type === 'fault.ineffective');
  const results = gates.map((g) => {
    const r = evaluateGate(events, g, windows);
    // A fault that never took effect leaves "during" with nothing it was meant to judge.
    return ineffective.length && g.phase === 'during' && r.verdict === 'pass' ? { ...r, verdict: 'no-data' as const } : r;
  });
  const reasons: string[] = [];
  for (const e of ineffective) if (e.type === 'fault.ineffective') reasons.push(`fault ${e.step} (${e.kind} on ${e.target}) never took effect: ${e.reason}`);
  const failed = results.filter((r) => r.verdict === 'fail');
  for (const r of failed) reasons.push(`gate ${r.name} failed: ${formatValue(r.observed!, r.unit)} (want ${r.threshold})`);
  for (const r of results.filter((x) => x.verdict === 'no-data')) reasons.push(`gate ${r.name} had no data to measure${ineffective.length && gates.find((g) => g.name === r.name)?.phase === 'during' ? ' (a fault never took effect)' : ''}`);

  const measured = events.some((e) => e.type === 'sample' || e.type === 'window' || e.type === 'figure');
  if (!measured) reasons.push('nothing was measured');
  const end = events.find((e) => e.type === 'run.end');
  if (end?.type === 'run.end' && end.status !== 'completed') reasons.push(`run ${end.status}${end.reason ? `: ${end.reason}` : ''}`);
  for (const e of events) if (e.type === 'step.end' && !e.ok) reasons.push(`step ${e.step} failed: ${e.error ?? 'unknown error'}`);
  const all = aggregate(events, {}, windows);
  const asked = all.requests + all.dropped;
  if (asked > 0 && all.dropped / asked > 0.01) {
    reasons.push(`load generator fell short: ${all.dropped} of ${asked} iterations dropped (${formatValue(all.dropped / asked, 'ratio')})`);
  }
  if (gates.length === 0) reasons.push('no gates were defined: nothing was judged (add gates to the scenario)');
  const verdict: RunVerdict = failed.length ? 'fail' : reasons.length ? 'inconclusive' : 'pass';
  return { verdict, gates: results, reasons };
}

/** The gate set a run was judged by: resolved before it started and journaled in run.start. */
export function journaledGates(events: readonly JournalEvent[]): GateSpec[] {
  const start = events.find((e) => e.type === 'run.start');
  const g = start?.type === 'run.start' ? (start.scenario as { gates?: unknown } | undefined)?.gates : undefined;
  return Array.isArray(g) ? (g as GateSpec[]) : [];
}

/**
 * The one verdict of a run, from its journal alone: the runner's exit code and every report
 * format derive from this, so they cannot disagree. A journal without run.end (a crash, or a
 * run still going) cannot vouch for a pass.
 */
export function runVerdict(events: readonly JournalEvent[], gates: readonly GateSpec[] = journaledGates(events)): Verdict {
  const v = evaluateGates(events, gates);
  if (events.some((e) => e.type === 'run.end')) return v;
  const reasons = [...v.reasons, 'the journal has no run.end: the run crashed or is still running'];
  return { ...v, verdict: v.verdict === 'fail' ? 'fail' : 'inconclusive', reasons };
}
