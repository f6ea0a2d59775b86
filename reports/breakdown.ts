/**
 * Traffic breakdowns (all, per phase, per label value) and per-label series in ONE pass over the
 * journal. It follows core/analysis.ts `aggregate` exactly (same selection, same phase-of-midpoint
 * rule, same histograms; breakdown.test.ts holds the two together) but a one-hour journal is
 * walked once instead of once per row, which is most of the time a report takes to build.
 */
import { coveredSeconds, inOnset, isRequest, phaseAt, PHASES, type FaultWindow } from '../core/analysis.ts';
import type { JournalEvent } from '../core/events.ts';
import { Histogram } from '../core/histogram.ts';
import { PerSecond } from '../core/seconds.ts';
import type { LabelBreakdown, LabelSeries, PhaseStats, Stats } from './model.ts';

/** A label with more distinct values than this (pod names, ...) is left out of the breakdown. */
export const MAX_LABEL_VALUES = 20;

class Acc {
  requests = 0;
  failures = 0;
  dropped = 0;
  readonly latency = new Histogram();
  readonly spans: Array<[number, number]> = [];
  first = Infinity;
  last = -Infinity;

  stats(): Stats {
    const s: Stats = { requests: this.requests, failures: this.failures, dropped: this.dropped };
    if (this.requests) s.errorRate = this.failures / this.requests;
    const secs = this.spans.length ? coveredSeconds(this.spans) : this.last > this.first ? (this.last - this.first) / 1000 : 0;
    if (secs > 0 && this.requests > 0) s.rps = this.requests / secs;
    const h = this.latency;
    if (h.n > 0) Object.assign(s, { p50: h.quantile(0.5), p95: h.quantile(0.95), p99: h.quantile(0.99), max: h.max });
    return s;
  }
}

export interface Breakdown {
  totals: Stats;
  phases: PhaseStats[];
  labels: LabelBreakdown[];
  labelSeries: LabelSeries[];
}

/** `chartLabel`: the label whose values (2 to 6 of them) get per-second series for the charts. */
export function breakdown(events: readonly JournalEvent[], windows: readonly FaultWindow[], chartLabel: string): Breakdown {
  const total = new Acc();
  const phases = new Map(PHASES.map((p) => [p, new Acc()]));
  const byLabel = new Map<string, Map<string, Acc>>();
  const tooMany = new Set<string>();
  const series = new Map<string, PerSecond>();

  for (const e of events) {
    if (!isRequest(e)) continue;
    const mid = e.type === 'sample' ? e.t : (e.start + e.end) / 2;
    const targets = inOnset(mid, windows) ? [total] : [total, phases.get(phaseAt(mid, windows))!];
    for (const [k, v] of Object.entries(e.labels ?? {})) {
      if (tooMany.has(k)) continue;
      let values = byLabel.get(k);
      if (!values) byLabel.set(k, (values = new Map()));
      let acc = values.get(v);
      if (!acc) {
        if (values.size >= MAX_LABEL_VALUES) {
          tooMany.add(k);
          byLabel.delete(k);
          continue;
        }
        values.set(v, (acc = new Acc()));
      }
      targets.push(acc);
    }
    const requests = e.type === 'sample' ? 1 : e.requests;
    const failures = e.type === 'sample' ? (e.ok ? 0 : 1) : e.failures;
    for (const a of targets) {
      a.requests += requests;
      a.failures += failures;
      if (e.type === 'sample') {
        if (e.ok) a.latency.record(e.ms);
        if (e.t < a.first) a.first = e.t;
        if (e.t > a.last) a.last = e.t;
      } else {
        a.latency.merge(e.latency);
        a.dropped += e.dropped ?? 0;
        a.spans.push([e.start, e.end]);
      }
    }
    const cv = e.labels?.[chartLabel];
    if (cv !== undefined) {
      let m = series.get(cv);
      if (!m) series.set(cv, (m = new PerSecond()));
      m.add(e);
    }
  }

  const labels = [...byLabel]
    .sort((a, b) => byKey(a[0], b[0]))
    .map(([label, values]) => ({ label, rows: [...values].sort((a, b) => byKey(a[0], b[0])).map(([value, acc]) => ({ value, ...acc.stats() })) }));
  const labelSeries =
    series.size < 2 || series.size > 6
      ? []
      : [...series]
          .sort((a, b) => byKey(a[0], b[0]))
          .map(([value, m]) => ({ label: chartLabel, value, points: m.seconds().map((b) => ({ s: b.s, requests: b.requests, failures: b.failures })) }));
  return { totals: total.stats(), phases: PHASES.map((phase) => ({ phase, ...phases.get(phase)!.stats() })), labels, labelSeries };
}

function byKey(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
