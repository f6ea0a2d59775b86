/**
 * Figures derived from the journal: fault windows, phases, aggregates and per-second series.
 * Gates and every report format use these functions, so a number means the same everywhere.
 *
 * Definitions (also printed in reports):
 * - error rate = failed requests / requests (a request fails when it got no response or the
 *   step's success check rejected it, e.g. a status outside 2xx/3xx).
 * - latency percentiles come from native-bucket histograms (±4.4 % for k6 windows, ±0.14 % for probe samples) of the successful requests in the
 *   selection (a failure's time says nothing about the service's speed); no successful request,
 *   no latency (a latency gate is then inconclusive).
 * - request metrics (error rate, requests, rps, latency) come from load windows and request
 *   samples only; check samples (egress-probe rows, verdicts without latency) feed the check
 *   counts, never the request metrics.
 * - phase of a sample = where its timestamp falls: before the first fault starts, during any
 *   fault window, or after a fault ended. A 1 s load window belongs to the phase of its midpoint.
 *   While a fault is being injected (asked for, not yet known to be in effect: a command still
 *   running) a sample belongs to no phase; it still counts in the whole run's figures.
 */
import type { FigureEvent, JournalEvent, Labels, SampleEvent, WindowEvent } from './events.ts';
import { Histogram } from './histogram.ts';
import { PerSecond } from './seconds.ts';

export type Phase = 'before' | 'during' | 'after';
export const PHASES: readonly Phase[] = ['before', 'during', 'after'];

export interface FaultWindow {
  step: string;
  kind: string;
  target: string;
  start: number;
  end: number;
  /** Injecting began here (≤ start): [asked, start) is in no phase. */
  asked?: number;
}

export interface Selection {
  step?: string;
  phase?: Phase | 'all';
  where?: Labels;
}

export interface Aggregate {
  requests: number;
  failures: number;
  /** failures / requests; undefined when no requests. */
  errorRate: number | undefined;
  /** Latency of the successful requests only. */
  latency: Histogram;
  /** Check verdicts (egress-probe rows) and how many failed; never counted as requests. */
  checks: number;
  checkFailures: number;
  /** Seconds of run time the selection covers (for rates; parallel windows count once). */
  seconds: number;
  /** Iterations the load generator could not start. */
  dropped: number;
  /** Requests the profile asked for (sum of target rate x window length), when known. */
  targetRequests: number;
}

export function runBounds(events: readonly JournalEvent[]): { start: number; end: number } {
  let end = 0;
  for (const e of events) if (e.t > end) end = e.t;
  return { start: 0, end };
}

export function faultWindows(events: readonly JournalEvent[]): FaultWindow[] {
  const open = new Map<string, FaultWindow>();
  const done: FaultWindow[] = [];
  const { end } = runBounds(events);
  for (const e of events) {
    if (e.type === 'fault.start') {
      open.set(e.step, { step: e.step, kind: e.kind, target: e.target, start: e.t, end, ...(e.asked !== undefined && e.asked < e.t ? { asked: e.asked } : {}) });
    } else if (e.type === 'fault.end') {
      const w = open.get(e.step);
      if (w) {
        w.end = e.t;
        done.push(w);
        open.delete(e.step);
      }
    }
  }
  return [...done, ...open.values()].sort((a, b) => a.start - b.start);
}

export function phaseAt(t: number, windows: readonly FaultWindow[]): Phase {
  let afterAny = false;
  for (const w of windows) {
    if (t >= w.start && t <= w.end) return 'during';
    if (t > w.end) afterAny = true;
  }
  return afterAny ? 'after' : 'before';
}

/** Whether `t` falls while a fault was being injected (in no phase). */
export function inOnset(t: number, windows: readonly FaultWindow[]): boolean {
  return windows.some((w) => w.asked !== undefined && t >= w.asked && t < w.start);
}

/** Whether time `t` belongs to the selected phase (none selected: every time does). */
function inPhase(t: number, phase: Phase | undefined, windows: readonly FaultWindow[]): boolean {
  return !phase || (!inOnset(t, windows) && phaseAt(t, windows) === phase);
}

function labelsMatch(labels: Labels | undefined, where: Labels | undefined): boolean {
  if (!where) return true;
  for (const [k, v] of Object.entries(where)) if (labels?.[k] !== v) return false;
  return true;
}

/** Whether an event feeds the request metrics: a load window, or a sample that is a request. */
export function isRequest(e: JournalEvent): e is SampleEvent | WindowEvent {
  return e.type === 'window' || (e.type === 'sample' && e.measures !== 'check');
}

/** Aggregate every sample and load window matching the selection. */
export function aggregate(events: readonly JournalEvent[], sel: Selection = {}, windows = faultWindows(events)): Aggregate {
  const agg: Aggregate = { requests: 0, failures: 0, errorRate: undefined, latency: new Histogram(), checks: 0, checkFailures: 0, seconds: 0, dropped: 0, targetRequests: 0 };
  const phase = sel.phase && sel.phase !== 'all' ? sel.phase : undefined;
  let first = Infinity;
  let last = -Infinity;
  const spans: Array<[number, number]> = [];
  for (const e of events) {
    if (e.type !== 'sample' && e.type !== 'window') continue;
    if (sel.step && e.step !== sel.step) continue;
    if (!labelsMatch(e.labels, sel.where)) continue;
    if (e.type === 'sample' && e.measures === 'check') {
      if (!inPhase(e.t, phase, windows)) continue;
      agg.checks++;
      if (!e.ok) agg.checkFailures++;
    } else if (e.type === 'sample') {
      if (!inPhase(e.t, phase, windows)) continue;
      agg.requests++;
      if (!e.ok) agg.failures++;
      else agg.latency.record(e.ms);
      first = Math.min(first, e.t);
      last = Math.max(last, e.t);
    } else {
      if (!inPhase((e.start + e.end) / 2, phase, windows)) continue;
      agg.requests += e.requests;
      agg.failures += e.failures;
      agg.latency.merge(e.latency);
      agg.dropped += e.dropped ?? 0;
      if (e.targetRate !== undefined) agg.targetRequests += (e.targetRate * (e.end - e.start)) / 1000;
      spans.push([e.start, e.end]);
    }
  }
  // Parallel windows (one per version) cover the same second once.
  agg.seconds = spans.length ? coveredSeconds(spans) : last > first ? (last - first) / 1000 : 0;
  agg.errorRate = agg.requests ? agg.failures / agg.requests : undefined;
  return agg;
}

/** Total length of [start, end) spans in ms, overlaps counted once, in seconds. */
export function coveredSeconds(spans: Array<[number, number]>): number {
  if (spans.length === 0) return 0;
  spans.sort((a, b) => a[0] - b[0]);
  let total = 0;
  let [from, to] = spans[0]!;
  for (const [a, b] of spans) {
    if (a > to) {
      total += to - from;
      from = a;
      to = b;
    } else if (b > to) to = b;
  }
  return (total + to - from) / 1000;
}

export function figures(events: readonly JournalEvent[], sel: Selection = {}, windows = faultWindows(events)): FigureEvent[] {
  const phase = sel.phase && sel.phase !== 'all' ? sel.phase : undefined;
  return events.filter(
    (e): e is FigureEvent =>
      e.type === 'figure' &&
      (!sel.step || e.step === sel.step) &&
      labelsMatch(e.labels, sel.where) &&
      (!phase || phaseAt(e.t, windows) === phase),
  );
}

export interface SeriesPoint {
  /** Second of the run (bucket start, s). */
  s: number;
  requests: number;
  failures: number;
  p50?: number;
  p95?: number;
  p99?: number;
  targetRate?: number;
}

/** Per-second request rate, error count and latency percentiles, for charts. */
export function perSecondSeries(events: readonly JournalEvent[], sel: Omit<Selection, 'phase'> = {}): SeriesPoint[] {
  const per = new PerSecond();
  for (const e of events) {
    if (!isRequest(e)) continue;
    if (sel.step && e.step !== sel.step) continue;
    if (!labelsMatch(e.labels, sel.where)) continue;
    per.add(e);
  }
  return per.seconds().map((b) => ({
    s: b.s,
    requests: b.requests,
    failures: b.failures,
    p50: b.latency.quantile(0.5),
    p95: b.latency.quantile(0.95),
    p99: b.latency.quantile(0.99),
    ...(b.targeted ? { targetRate: b.target } : {}),
  }));
}
