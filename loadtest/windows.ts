/**
 * k6's remote-write pushes → Gauntlet's 1 s windows.
 *
 * Each push carries, for every series that got new samples since the last push, its CUMULATIVE
 * value since k6 started, stamped with the time of its newest sample. Differencing a series'
 * consecutive values gives what happened in between, which goes into the second of that newest
 * sample (so window bounds are exact to one push interval, 250 ms). Per series:
 * - a value below the previous one (a count or any bucket that went down) is a restart of the
 *   series (k6 restarted): the new value counts from zero;
 * - a lost push loses nothing: the next push's difference covers both intervals;
 * - a difference for a second already closed goes into the oldest open second (`late`).
 *
 * Windows are per (second, k6 scenario = stage, `version` label): requests and failures count
 * every response (failed = k6's expected_response=false), `causes` splits the failures by
 * core/failures.ts cause from the status / error_code labels, `latency` holds the successful
 * responses only, in the histogram's own buckets (schema 3, never re-bucketed). Dropped
 * iterations are per (second, scenario).
 */
import type { FailureCause } from '../core/failures.ts';
import { Histogram, K6_SCHEMA, upperMs } from '../core/histogram.ts';
import { k6FailureCause } from './error-codes.ts';
import type { NativeHistogram, TimeSeries } from './remote-write.ts';

export const DROPPED_METRIC = 'k6_dropped_iterations_total';

export interface Window {
  /** Unix second the window starts at. */
  sec: number;
  stage?: string;
  version?: string;
  requests: number;
  failures: number;
  causes: Partial<Record<FailureCause, number>>;
  latency: Histogram;
  dropped: number;
}

export interface Totals {
  requests: number;
  failures: number;
  dropped: number;
}

interface HistState {
  count: number;
  sum: number;
  zero: number;
  schema: number;
  buckets: Map<number, number>;
}

const labelsOf = (ts: TimeSeries): Record<string, string> => Object.fromEntries(ts.labels.map((l) => [l.name, l.value]));
const keyOf = (l: Record<string, string>) =>
  Object.keys(l)
    .sort()
    .map((k) => `${k}=${l[k]}`)
    .join(',');

export interface DifferOptions {
  /** The request-duration histogram: k6_http_req_duration_seconds, or the built-in script's own. */
  durationMetric: string;
  /** A second is closed this long after it ended (samples still on their way), ms. */
  graceMs: number;
}

export class PushDiffer {
  readonly totals: Totals = { requests: 0, failures: 0, dropped: 0 };
  /** Series that restarted (a value went down). */
  restarts = 0;
  /** Differences that arrived for a second already closed (counted in the next open one). */
  late = 0;
  /** Newest sample time seen, epoch ms. */
  lastSampleMs: number | undefined;
  private readonly opts: DifferOptions;
  private readonly hist = new Map<string, HistState>();
  private readonly counters = new Map<string, number>();
  private readonly open = new Map<string, Window>();
  private closedUpTo = -Infinity;

  constructor(opts: DifferOptions) {
    this.opts = opts;
  }

  push(series: readonly TimeSeries[]): void {
    for (const ts of series) {
      const name = ts.labels.find((l) => l.name === '__name__')?.value;
      if (name === this.opts.durationMetric) for (const h of ts.histograms) this.histogram(ts, h);
      else if (name === DROPPED_METRIC) for (const s of ts.samples) this.dropped(ts, s.value, s.timestamp);
    }
  }

  private seen(ms: number): number {
    if (this.lastSampleMs === undefined || ms > this.lastSampleMs) this.lastSampleMs = ms;
    let sec = Math.floor(ms / 1000);
    if (sec <= this.closedUpTo) {
      this.late++;
      sec = this.closedUpTo + 1;
    }
    return sec;
  }

  private window(sec: number, stage: string | undefined, version: string | undefined): Window {
    const k = `${sec}\u0000${stage ?? ''}\u0000${version ?? ''}`;
    let w = this.open.get(k);
    if (!w) {
      w = { sec, ...(stage !== undefined ? { stage } : {}), ...(version !== undefined ? { version } : {}), requests: 0, failures: 0, causes: {}, latency: new Histogram(K6_SCHEMA), dropped: 0 };
      this.open.set(k, w);
    }
    return w;
  }

  private histogram(ts: TimeSeries, h: NativeHistogram): void {
    const labels = labelsOf(ts);
    const key = keyOf(labels);
    const prev = this.hist.get(key);
    const cur: HistState = { count: h.count, sum: h.sum, zero: h.zeroCount, schema: h.schema, buckets: new Map(h.positive) };
    this.hist.set(key, cur);
    let base = prev;
    if (prev && (cur.count < prev.count || cur.zero < prev.zero || cur.schema !== prev.schema || [...prev.buckets].some(([i, c]) => (cur.buckets.get(i) ?? 0) < c))) {
      this.restarts++;
      base = undefined;
    }
    const n = cur.count - (base?.count ?? 0);
    if (n <= 0) return;
    const w = this.window(this.seen(h.timestamp), labels.scenario, labels.version);
    w.requests += n;
    this.totals.requests += n;
    if (failed(labels)) {
      w.failures += n;
      this.totals.failures += n;
      const cause = k6FailureCause(Number(labels.status ?? 0), labels.error_code);
      w.causes[cause] = (w.causes[cause] ?? 0) + n;
      return;
    }
    const b: Array<[number, number]> = [];
    for (const [i, c] of cur.buckets) {
      const d = c - (base?.buckets.get(i) ?? 0);
      if (d > 0) b.push([i, d]);
    }
    b.sort((x, y) => x[0] - y[0]);
    const z = cur.zero - (base?.zero ?? 0);
    const lo = b.length ? upperMs(b[0]![0] - 1, cur.schema) : 0;
    const hi = b.length ? upperMs(b.at(-1)![0], cur.schema) : 0;
    w.latency.merge({ schema: cur.schema, n, sum: (cur.sum - (base?.sum ?? 0)) * 1000, min: z ? 0 : lo, max: hi, b, ...(z ? { z } : {}) });
  }

  private dropped(ts: TimeSeries, value: number, timestamp: number): void {
    const labels = labelsOf(ts);
    const key = keyOf(labels);
    const prev = this.counters.get(key);
    this.counters.set(key, value);
    let d = value - (prev ?? 0);
    if (prev !== undefined && value < prev) {
      this.restarts++;
      d = value;
    }
    if (d <= 0) return;
    this.window(this.seen(timestamp), labels.scenario, undefined).dropped += d;
    this.totals.dropped += d;
  }

  /** Windows of the seconds that ended at least graceMs before `now` (epoch ms), oldest first. */
  close(now: number): Window[] {
    return this.closeUpTo(Math.floor((now - this.opts.graceMs) / 1000) - 1);
  }

  /** Every open window (k6 has stopped). */
  end(): Window[] {
    return this.closeUpTo(Infinity);
  }

  private closeUpTo(sec: number): Window[] {
    const done = [...this.open.entries()].filter(([, w]) => w.sec <= sec);
    for (const [k] of done) this.open.delete(k);
    const max = Math.max(...done.map(([, w]) => w.sec));
    if (sec !== Infinity && sec > this.closedUpTo) this.closedUpTo = sec;
    else if (sec === Infinity && done.length && max > this.closedUpTo) this.closedUpTo = max;
    return done.map(([, w]) => w).sort((a, b) => a.sec - b.sec || cmp(a.stage, b.stage) || cmp(a.version, b.version));
  }
}

const cmp = (a: string | undefined, b: string | undefined) => ((a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0);

/** k6's own verdict (expected_response); without it (responseCallback: null), by status. */
function failed(labels: Record<string, string>): boolean {
  if (labels.expected_response !== undefined) return labels.expected_response === 'false';
  const status = Number(labels.status ?? 0);
  return status === 0 || status >= 400;
}
