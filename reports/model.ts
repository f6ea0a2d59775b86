/**
 * The report model: everything any report format shows, derived from the run journal alone.
 * `Report` is exactly what report.json holds; every renderer reads a `Report`, never the journal,
 * so a number means the same in the terminal, the HTML and the JUnit file.
 */
import { faultWindows, perSecondSeries, phaseAt, type FaultWindow, type Phase } from '../core/analysis.ts';
import type { JournalEvent, Labels, Provenance, RunStart, RunStatus } from '../core/events.ts';
import { runVerdict, type GateResult, type GateSpec, type RunVerdict } from '../core/gates.ts';
import { breakdown } from './breakdown.ts';
import { FAILURE_CAUSE_DEFINITIONS } from '../core/failures.ts';
import { CAUSE_LABEL, failureCauses, stepTraffic, type FailureCauses, type StepTraffic } from './causes.ts';
export type { CauseCount, CauseRow, FailureCauses, StepTraffic, TrafficSource } from './causes.ts';
import { redact } from './redact.ts';
import { BUDGET_DEFINITIONS, errorBudget, journaledSlo, type ErrorBudget } from '../core/budget.ts';
export type { ErrorBudget } from '../core/budget.ts';

export const REPORT_SCHEMA_VERSION = 1;

/** The label whose values get their own chart lines (canary vs stable). */
export const CHART_LABEL = 'version';

export interface Stats {
  requests: number;
  failures: number;
  /** failures / requests; absent when there were no requests. */
  errorRate?: number;
  /** Requests per second of run time covered. */
  rps?: number;
  p50?: number;
  p95?: number;
  p99?: number;
  max?: number;
  /** Iterations the load generator could not start. */
  dropped: number;
}

export interface PhaseStats extends Stats {
  phase: Phase;
}

export interface LabelBreakdown {
  label: string;
  rows: Array<Stats & { value: string }>;
}

export interface ReportFault {
  step: string;
  kind: string;
  target: string;
  startSeconds: number;
  endSeconds: number;
}

export interface ReportFigure {
  step: string;
  name: string;
  value: number;
  unit: string;
  offsetSeconds: number;
  phase: Phase;
  labels?: Labels;
  definition?: string;
}

export type TimelineKind = 'run' | 'step' | 'fault' | 'mark' | 'change' | 'log';

export interface TimelineEntry {
  /** Seconds since run start. */
  offsetSeconds: number;
  wall: string;
  kind: TimelineKind;
  severity: 'info' | 'warn' | 'error';
  step?: string;
  text: string;
  /** A mark's data, e.g. { version: 'v2', weight: 10 }. */
  data?: Record<string, unknown>;
}

import type { SeriesPoint } from '../core/analysis.ts';
export type { SeriesPoint };

export interface LabelSeries {
  label: string;
  value: string;
  points: Array<{ s: number; requests: number; failures: number }>;
}

export interface ReportProvenance extends Provenance {
  startedAt: string;
  endedAt: string;
  durationSeconds: number;
}

export interface ScenarioSummary {
  name: string;
  file?: string;
  description?: string;
  target?: Record<string, unknown>;
  steps: Array<{ id: string; kind: string; section?: string; atSeconds?: number; durationSeconds?: number; everySeconds?: number; params?: unknown }>;
}

export interface Definition {
  term: string;
  definition: string;
}

export interface Report {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  runId: string;
  /** How the run ended; `unfinished` when the journal has no run.end (crash, or still running). */
  status: RunStatus | 'unfinished';
  statusReason?: string;
  verdict: RunVerdict;
  /** Why the verdict is not a plain pass (empty when it is). */
  reasons: string[];
  /** True when the journal holds at least one sample, load window or figure. */
  measured: boolean;
  provenance?: ReportProvenance;
  scenario?: ScenarioSummary;
  gates: GateResult[];
  /** Every request together: probes' and the load generator's (see `steps` for each apart). */
  totals: Stats;
  phases: PhaseStats[];
  labels: LabelBreakdown[];
  /** Each step's own traffic, labelled probe or load. */
  steps: StepTraffic[];
  /** Why requests failed: by cause, per step and phase. */
  failureCauses: FailureCauses;
  faults: ReportFault[];
  figures: ReportFigure[];
  /** The error budget the run burned against the scenario's SLO (absent when it declares none). */
  budget?: ErrorBudget;
  timeline: TimelineEntry[];
  series: SeriesPoint[];
  labelSeries: LabelSeries[];
  definitions: Definition[];
}

export interface BuildOptions {
  /** Gates to evaluate instead of the scenario's own (`scenario.gates` in run.start). */
  gates?: GateSpec[];
}

export function buildReport(events: readonly JournalEvent[], opts: BuildOptions = {}): Report {
  const start = events.find((e): e is RunStart => e.type === 'run.start');
  const end = events.findLast((e) => e.type === 'run.end');
  const windows = faultWindows(events);
  const verdict = runVerdict(events, opts.gates);
  const traffic = breakdown(events, windows, CHART_LABEL);
  const measured = events.some((e) => e.type === 'sample' || e.type === 'window' || e.type === 'figure');
  const slo = journaledSlo(events);

  const report: Report = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    runId: start?.runId ?? 'unknown',
    status: end?.type === 'run.end' ? end.status : 'unfinished',
    ...(end?.type === 'run.end' && end.reason ? { statusReason: end.reason } : {}),
    verdict: verdict.verdict,
    reasons: verdict.reasons,
    measured,
    ...(start ? { provenance: provenanceOf(start, events) } : {}),
    ...(start ? { scenario: scenarioSummary(start.scenario) } : {}),
    gates: verdict.gates,
    totals: traffic.totals,
    phases: traffic.phases,
    labels: traffic.labels,
    steps: stepTraffic(events, windows),
    failureCauses: failureCauses(events, windows),
    faults: windows.map(faultOf),
    figures: figuresOf(events, windows),
    ...(slo ? { budget: errorBudget(events, slo, {}, windows) } : {}),
    timeline: timelineOf(events),
    series: perSecondSeries(events),
    labelSeries: traffic.labelSeries,
    definitions: [],
  };
  report.definitions = definitionsFor(report);
  return redact(report);
}

const seconds = (ms: number) => Math.round(ms) / 1000;

function provenanceOf(start: RunStart, events: readonly JournalEvent[]): ReportProvenance {
  const last = events.at(-1)!;
  const endMs = Math.max(...events.map((e) => e.t));
  return {
    ...start.provenance,
    startedAt: start.wall ?? new Date(start.epochMs).toISOString(),
    endedAt: last.type === 'run.end' ? last.wall : new Date(start.epochMs + endMs).toISOString(),
    durationSeconds: seconds(endMs - start.t),
  };
}

function scenarioSummary(raw: unknown): ScenarioSummary {
  const s = (raw ?? {}) as Record<string, unknown>;
  const steps = Array.isArray(s.steps) ? (s.steps as Array<Record<string, unknown>>) : [];
  const num = (x: unknown) => (typeof x === 'number' ? seconds(x) : undefined);
  return {
    name: typeof s.name === 'string' ? s.name : 'unnamed',
    ...(typeof s.file === 'string' ? { file: s.file } : {}),
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
    ...(s.target && typeof s.target === 'object' ? { target: s.target as Record<string, unknown> } : {}),
    steps: steps.map((st) => {
      const out: ScenarioSummary['steps'][number] = { id: String(st.id ?? '?'), kind: String(st.kind ?? '?') };
      if (typeof st.section === 'string') out.section = st.section;
      if (num(st.at) !== undefined) out.atSeconds = num(st.at);
      if (num(st.duration) !== undefined) out.durationSeconds = num(st.duration);
      if (num(st.every) !== undefined) out.everySeconds = num(st.every);
      if (st.params !== undefined) out.params = st.params;
      return out;
    }),
  };
}

function faultOf(w: FaultWindow): ReportFault {
  return { step: w.step, kind: w.kind, target: w.target, startSeconds: seconds(w.start), endSeconds: seconds(w.end) };
}

function figuresOf(events: readonly JournalEvent[], windows: FaultWindow[]): ReportFigure[] {
  const out: ReportFigure[] = [];
  for (const e of events) {
    if (e.type !== 'figure') continue;
    out.push({
      step: e.step,
      name: e.name,
      value: e.value,
      unit: e.unit,
      offsetSeconds: seconds(e.t),
      phase: phaseAt(e.t, windows),
      ...(e.labels ? { labels: e.labels } : {}),
      ...(e.definition ? { definition: e.definition } : {}),
    });
  }
  return out;
}

/** The moments a postmortem needs: run bounds, faults, marks, changes, step ends, warnings. */
function timelineOf(events: readonly JournalEvent[]): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  const intents = new Map<string, string>();
  const revertKinds = new Map<string, string>();
  const applied = new Set<string>();
  for (const e of events) if (e.type === 'change.applied') applied.add(e.id);
  const add = (e: JournalEvent, kind: TimelineKind, text: string, severity: TimelineEntry['severity'] = 'info', step?: string) =>
    out.push({ offsetSeconds: seconds(e.t), wall: e.wall, kind, severity, ...(step ? { step } : {}), text, ...(e.type === 'mark' && e.data ? { data: e.data } : {}) });
  for (const e of events) {
    switch (e.type) {
      case 'run.start':
        add(e, 'run', `run ${e.runId} started`);
        break;
      case 'run.end':
        add(e, 'run', `run ${e.status}${e.reason ? `: ${e.reason}` : ''}`, e.status === 'completed' ? 'info' : 'warn');
        break;
      case 'step.end':
        add(e, 'step', e.ok ? `step ${e.step} finished` : `step ${e.step} failed: ${e.error ?? 'unknown error'}`, e.ok ? 'info' : 'error', e.step);
        break;
      case 'fault.start':
        add(e, 'fault', `fault ${e.kind} on ${e.target} started`, 'warn', e.step);
        break;
      case 'fault.end':
        add(e, 'fault', `fault ${e.step} ended`, 'info', e.step);
        break;
      case 'fault.ineffective':
        add(e, 'fault', `fault ${e.kind} on ${e.target} never took effect: ${e.reason}`, 'warn', e.step);
        break;
      case 'mark':
        add(e, 'mark', e.label, 'info', e.step);
        break;
      case 'change.intent':
        intents.set(e.id, e.description);
        revertKinds.set(e.id, String((e.revert as { kind?: unknown } | undefined)?.kind ?? ''));
        // A change never confirmed may still have half-happened: show it.
        if (!applied.has(e.id)) add(e, 'change', `change ${e.id} attempted: ${e.description}`, 'warn', e.step);
        break;
      case 'change.applied':
        add(e, 'change', `change ${e.id} applied: ${intents.get(e.id) ?? ''}`.trimEnd());
        break;
      case 'change.reverted':
        add(e, 'change', `change ${e.id} ${REVERT_MEANING[revertKinds.get(e.id) ?? ''] ?? `reverted${e.noop ? ' (nothing left to undo)' : ''}`}: ${intents.get(e.id) ?? ''}`.trimEnd());
        break;
      case 'change.revert-failed':
        add(e, 'change', `change ${e.id} could NOT be reverted: ${e.error}`, 'error');
        break;
      case 'log':
        if (e.level !== 'info') add(e, 'log', e.msg, e.level, e.step);
        break;
      default:
        break;
    }
  }
  return out;
}

/** What "reverted" meant, per kind of change: a pod kill is not undone, a command is run, ... */
const REVERT_MEANING: Record<string, string> = {
  'pod-kill': 'ended (nothing to undo: a killed pod is not brought back, its controller replaces it)',
  command: 'reverted (the revert command ran)',
  deploy: 'reverted (the applied objects were removed, or their previous versions restored)',
};

/** Known figure names and what they mean, for figures recorded without a definition. */
const FIGURE_DEFINITIONS: Record<string, string> = {
  rollbackSeconds: 'rollback time: seconds from fault onset until 100% of traffic is served by the stable version',
};

function definitionsFor(r: Report): Definition[] {
  const defs: Definition[] = [
    { term: 'request', definition: 'one HTTP request made by the load generator or a probe; every number below is computed from these, as recorded in the run journal. Egress-probe rows are checks, not requests: they count in check_failures only' },
    {
      term: 'error rate',
      definition: 'failed requests / requests. A request fails when no response arrived or the step rejected it (e.g. a status outside 2xx/3xx)',
    },
    {
      term: 'p50 / p95 / p99',
      definition:
        'latency percentiles (time to full response) of the successful requests only, from Prometheus native-histogram buckets, merged exactly across 1 s windows; never averages of averages; a percentile is its bucket\'s geometric midpoint: within ±4.4 % of the true value for k6 load (schema 3, bucket ratio 2^(1/8), as k6 pushes them), ±0.14 % for probes (schema 8); the max of k6 load is its highest bucket\'s upper bound. No successful request: no latency, and a latency gate is inconclusive',
    },
    { term: 'rate (req/s)', definition: 'requests / seconds of run time the selection covers' },
    { term: 'probe / load traffic', definition: 'probe = requests a check step (http-probe) made one by one; load = the load generator\'s (k6) requests. "all traffic" adds both; the per-step rows show each apart' },
    {
      term: 'phases',
      definition:
        'before = until the first fault starts; during = inside any fault window; after = after a fault ended. A 1 s load window belongs to the phase of its midpoint',
    },
    { term: 'verdict', definition: 'PASS only when every gate passed on real measurements; FAIL when any gate failed; INCONCLUSIVE when no gate was defined, a gate had no data, a fault never took effect, nothing was measured, the run did not complete (or has no end in the journal), a step failed or the load generator dropped more than 1% of iterations' },
  ];
  if (r.budget) {
    defs.push({ term: 'error budget', definition: BUDGET_DEFINITIONS.budget });
    defs.push({ term: 'budget burned', definition: BUDGET_DEFINITIONS.burned });
    defs.push({ term: 'burn rate', definition: BUDGET_DEFINITIONS.burnRate });
  }
  const named = new Map<string, string>();
  for (const f of r.figures) if (!named.has(f.name)) named.set(f.name, f.definition ?? FIGURE_DEFINITIONS[f.name] ?? `recorded by step ${f.step}`);
  for (const [name, definition] of named) defs.push({ term: name, definition });
  for (const c of r.failureCauses.totals) defs.push({ term: `failure: ${CAUSE_LABEL[c.cause]}`, definition: FAILURE_CAUSE_DEFINITIONS[c.cause] });
  if (r.failureCauses.derivedFailures) {
    defs.push({ term: 'derived causes', definition: `${r.failureCauses.derivedFailures} failure(s) carried no recorded cause (an older journal): samples were classified from their status and error, load failures without a cause count as "other"` });
  }
  return defs;
}
