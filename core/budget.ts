/**
 * Error budgets: what a run cost against the service's availability SLO (scenario `slo:`).
 *
 * Definitions (also printed in reports, docs/reports.md):
 * - budget (requests) = (1 - availability) x rps x window seconds: how many requests may fail in
 *   one SLO window at the traffic the SLO is about (99.9 % of 120 req/s over 30 days = 311,040).
 * - failed requests = the run's failed requests, counted exactly like `error_rate` counts them
 *   (core/analysis.ts `isRequest`: load windows and request samples; check rows never count),
 *   from every request step, or only from `slo.step` when the scenario names one.
 * - burned = failed requests / budget: the share of the window's budget the run consumed, each
 *   failed request of the run counted once, whatever rate the run sent.
 * - burn rate = the run's error rate / (1 - availability): how fast the run's own window spent
 *   budget, 1 = exactly the pace that uses the whole budget by the end of the window (14.4 over
 *   an hour is the classic "page now" alert); budget lasts window / burn rate at that pace.
 */
import { aggregate, faultWindows, isRequest, type FaultWindow, type Selection } from './analysis.ts';
import type { JournalEvent } from './events.ts';
import type { SloSpec } from './scenario.ts';

export interface ErrorBudget {
  /** 0..1, e.g. 0.999. */
  availability: number;
  windowSeconds: number;
  /** The traffic the SLO is about, req/s. */
  rps: number;
  /** The step whose requests count (absent: every request step). */
  step?: string;
  /** Requests allowed to fail in one window: (1 - availability) x rps x windowSeconds. */
  budgetRequests: number;
  /** The run's requests and failed requests that count. */
  requests: number;
  failures: number;
  errorRate?: number;
  /** Seconds of run time those requests cover, and the rate the run sent. */
  runSeconds: number;
  runRps?: number;
  /** failures / budgetRequests (0..1, above 1 when the run alone spent more than the window's budget). */
  burned: number;
  /** errorRate / (1 - availability); absent without requests. */
  burnRate?: number;
  /** windowSeconds / burnRate: how long the budget lasts at the run's pace; absent when nothing failed. */
  exhaustSeconds?: number;
  /** Where the counted requests come from, per step: k6 load windows or probe request samples (whole-run selections only). */
  counted?: Array<{ step: string; from: 'window' | 'sample'; requests: number; failures: number }>;
}

/** The SLO the run was started with (run.start's normalized scenario), if it declared one. */
export function journaledSlo(events: readonly JournalEvent[]): SloSpec | undefined {
  const start = events.find((e) => e.type === 'run.start');
  const slo = start?.type === 'run.start' ? (start.scenario as { slo?: unknown } | undefined)?.slo : undefined;
  if (!slo || typeof slo !== 'object') return undefined;
  const s = slo as Partial<SloSpec>;
  if (typeof s.availability !== 'number' || typeof s.rps !== 'number' || typeof s.window !== 'number') return undefined;
  return { availability: s.availability, rps: s.rps, window: s.window, ...(typeof s.step === 'string' ? { step: s.step } : {}) };
}

export function budgetRequests(slo: SloSpec): number {
  return (1 - slo.availability) * slo.rps * (slo.window / 1000);
}

/** The budget the selection burned (default selection: `slo.step`, or every request). */
export function errorBudget(events: readonly JournalEvent[], slo: SloSpec, sel: Selection = {}, windows: FaultWindow[] = faultWindows(events)): ErrorBudget {
  const step = sel.step ?? slo.step;
  const a = aggregate(events, { ...sel, ...(step ? { step } : {}) }, windows);
  const budget = budgetRequests(slo);
  const allowed = 1 - slo.availability;
  const burnRate = a.errorRate === undefined ? undefined : a.errorRate / allowed;
  const windowSeconds = slo.window / 1000;
  return {
    availability: slo.availability,
    windowSeconds,
    rps: slo.rps,
    ...(step ? { step } : {}),
    budgetRequests: budget,
    requests: a.requests,
    failures: a.failures,
    ...(a.errorRate !== undefined ? { errorRate: a.errorRate } : {}),
    runSeconds: a.seconds,
    ...(a.seconds > 0 ? { runRps: a.requests / a.seconds } : {}),
    burned: a.failures / budget,
    ...(burnRate !== undefined ? { burnRate } : {}),
    ...(burnRate ? { exhaustSeconds: windowSeconds / burnRate } : {}),
    ...(!sel.phase || sel.phase === 'all' ? (sel.where ? {} : { counted: countedBy(events, step) }) : {}),
  };
}

/** The requests behind the figure, per step and kind of event (the same events `aggregate` counts). */
function countedBy(events: readonly JournalEvent[], step: string | undefined): NonNullable<ErrorBudget['counted']> {
  const rows = new Map<string, { step: string; from: 'window' | 'sample'; requests: number; failures: number }>();
  for (const e of events) {
    if (!isRequest(e) || (step && e.step !== step)) continue;
    const key = `${e.step}\u0000${e.type}`;
    let row = rows.get(key);
    if (!row) rows.set(key, (row = { step: e.step, from: e.type, requests: 0, failures: 0 }));
    if (e.type === 'window') {
      row.requests += e.requests;
      row.failures += e.failures;
    } else {
      row.requests++;
      if (!e.ok) row.failures++;
    }
  }
  return [...rows.values()];
}

export const BUDGET_DEFINITIONS = {
  budget: 'error budget = (1 - availability) x rps x window seconds: the requests allowed to fail in one SLO window at the traffic the SLO is about',
  burned:
    'budget burned = failed requests / error budget. Failed requests are counted as error_rate counts them (load windows and request samples; egress-probe check rows never count), from every request step or only slo.step; each failed request of the run counts once, whatever rate the run sent',
  burnRate: 'burn rate = the run\'s error rate / (1 - availability): 1 spends exactly the whole budget by the end of the window; at burn rate b the budget lasts window / b',
} as const;

/** The SLO and its budget in words: `SLO 99.9% over 30 days at 120 req/s: error budget 311,040 requests`. */
export function sloText(slo: SloSpec): string {
  const days = slo.window / 86_400_000;
  const window = Number.isInteger(days) ? `${days} day${days === 1 ? '' : 's'}` : `${Number((slo.window / 3_600_000).toFixed(2))} h`;
  return `SLO ${Number((slo.availability * 100).toPrecision(10))}% over ${window} at ${slo.rps} req/s: error budget ${Math.round(budgetRequests(slo)).toLocaleString('en-US')} requests`;
}
