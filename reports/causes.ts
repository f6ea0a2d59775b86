/**
 * Why requests failed, and whose requests they were: failures by cause (core/failures.ts) per
 * step and phase, and the traffic of each step on its own (a probe's requests and k6's load are
 * different populations; the report's top tiles mix both and say so).
 *
 * Causes come from what producers record: SampleEvent.cause and WindowEvent.causes. Journals
 * written before those existed still get a breakdown: a sample's cause is derived from its status
 * and error text (the same failureCause() the probes use), and a window's unclassified failures
 * count as `other`.
 */
import { aggregate, phaseAt, PHASES, type FaultWindow, type Phase } from '../core/analysis.ts';
import type { JournalEvent, RunStart } from '../core/events.ts';
import { FAILURE_CAUSES, failureCause, type FailureCause } from '../core/failures.ts';

export interface CauseCount {
  cause: FailureCause;
  failures: number;
  /** Share of the row's failures, 0..1. */
  share: number;
}

export interface CauseRow {
  step: string;
  /** `all` = the whole run for this step. */
  phase: Phase | 'all';
  failures: number;
  causes: CauseCount[];
}

export interface FailureCauses {
  /** Every step together, largest cause first. */
  totals: CauseCount[];
  /** One row per step (phase `all`) and, when the run had fault windows, per step and phase; rows without failures are left out. */
  rows: CauseRow[];
  /** Failures whose cause was derived from status/error (older journals) rather than recorded. */
  derivedFailures: number;
}

/** `probe`: requests a check step made one by one (samples); `load`: load-generator windows. */
export type TrafficSource = 'probe' | 'load';

export interface StepTraffic {
  step: string;
  kind?: string;
  source: TrafficSource;
  requests: number;
  failures: number;
  errorRate?: number;
  rps?: number;
  p50?: number;
  p95?: number;
  p99?: number;
}

type Counts = Map<FailureCause, number>;

function rank(c: Counts): CauseCount[] {
  const total = [...c.values()].reduce((a, b) => a + b, 0);
  return [...c]
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || FAILURE_CAUSES.indexOf(a[0]) - FAILURE_CAUSES.indexOf(b[0]))
    .map(([cause, failures]) => ({ cause, failures, share: total ? failures / total : 0 }));
}

export function failureCauses(events: readonly JournalEvent[], windows: readonly FaultWindow[]): FailureCauses {
  const totals: Counts = new Map();
  const byStep = new Map<string, Map<Phase | 'all', Counts>>();
  let derivedFailures = 0;
  const add = (step: string, phase: Phase, cause: FailureCause, n: number) => {
    if (n <= 0) return;
    let m = byStep.get(step);
    if (!m) byStep.set(step, (m = new Map()));
    for (const key of ['all', phase] as const) {
      let c = m.get(key);
      if (!c) m.set(key, (c = new Map()));
      c.set(cause, (c.get(cause) ?? 0) + n);
    }
    totals.set(cause, (totals.get(cause) ?? 0) + n);
  };
  for (const e of events) {
    if (e.type === 'sample') {
      if (e.ok) continue;
      let cause = e.cause;
      if (!cause) {
        // Older journals: derive it. A sample that failed with a 2xx and no error was rejected by the check.
        cause = failureCause(e.status, e.error);
        derivedFailures++;
      }
      add(e.step, phaseAt(e.t, windows), cause, 1);
    } else if (e.type === 'window') {
      if (e.failures <= 0) continue;
      const phase = phaseAt((e.start + e.end) / 2, windows);
      let classified = 0;
      for (const [cause, n] of Object.entries(e.causes ?? {}) as Array<[FailureCause, number]>) {
        add(e.step, phase, cause, n);
        classified += n;
      }
      if (classified < e.failures) {
        add(e.step, phase, 'other', e.failures - classified);
        derivedFailures += e.failures - classified;
      }
    }
  }
  const rows: CauseRow[] = [];
  for (const [step, m] of byStep) {
    for (const phase of ['all', ...(windows.length ? PHASES : [])] as const) {
      const c = m.get(phase);
      if (!c) continue;
      const ranked = rank(c);
      rows.push({ step, phase, failures: ranked.reduce((a, b) => a + b.failures, 0), causes: ranked });
    }
  }
  return { totals: rank(totals), rows, derivedFailures };
}

/** Each step's own traffic, so a tile mixing a probe with k6 load can be read apart. */
export function stepTraffic(events: readonly JournalEvent[], windows: FaultWindow[]): StepTraffic[] {
  const start = events.find((e): e is RunStart => e.type === 'run.start');
  const kinds = new Map<string, string>();
  for (const st of ((start?.scenario as { steps?: Array<{ id?: unknown; kind?: unknown }> } | undefined)?.steps ?? [])) {
    if (typeof st.id === 'string' && typeof st.kind === 'string') kinds.set(st.id, st.kind);
  }
  const sources = new Map<string, TrafficSource>();
  for (const e of events) {
    if (e.type === 'sample' && !sources.has(e.step)) sources.set(e.step, 'probe');
    else if (e.type === 'window' && !sources.has(e.step)) sources.set(e.step, 'load');
  }
  return [...sources].map(([step, source]) => {
    const a = aggregate(events, { step }, windows);
    const h = a.latency;
    return {
      step,
      ...(kinds.has(step) ? { kind: kinds.get(step)! } : {}),
      source,
      requests: a.requests,
      failures: a.failures,
      ...(a.errorRate !== undefined ? { errorRate: a.errorRate } : {}),
      ...(a.seconds > 0 && a.requests > 0 ? { rps: a.requests / a.seconds } : {}),
      ...(h.n > 0 ? { p50: h.quantile(0.5), p95: h.quantile(0.95), p99: h.quantile(0.99) } : {}),
    };
  });
}

/** People's words for a cause, short (tables) — the long form is FAILURE_CAUSE_DEFINITIONS. */
export const CAUSE_LABEL: Record<FailureCause, string> = {
  'http-4xx': 'HTTP 4xx',
  'http-5xx': 'HTTP 5xx',
  'http-other': 'unexpected status',
  refused: 'connection refused',
  timeout: 'timeout',
  reset: 'connection reset',
  dns: 'DNS failure',
  tls: 'TLS failure',
  'no-response': 'no response',
  late: 'not sent on time',
  other: 'other',
};

/** "62% connection refused (1,234), 38% HTTP 5xx (760)": the top causes in one line. */
export function topCauses(c: readonly CauseCount[], n = 3): string {
  const shown = c.slice(0, n).map((x) => `${Number((x.share * 100).toFixed(1))}% ${CAUSE_LABEL[x.cause]} (${x.failures.toLocaleString('en-US')})`);
  if (c.length > n) shown.push(`${c.length - n} more`);
  return shown.join(', ');
}
