/**
 * The one per-second aggregator: requests, failures, successful-response latency, dropped
 * iterations, asked rate and stages per second of the run clock, from samples and load windows.
 * Report charts (core/analysis.ts perSecondSeries, reports' per-label series), the surge and
 * capacity verdicts and k6's live progress line all bucket through here, so "a second" means
 * the same everywhere.
 */
import type { SampleEvent, WindowEvent } from './events.ts';
import { Histogram } from './histogram.ts';

export interface SecondBucket {
  /** Run-clock ms the second starts at (the earliest observation's time in it, for windows their start). */
  start: number;
  /** Second of the run: floor(start / 1000). */
  s: number;
  requests: number;
  failures: number;
  /** Latency of the successful requests only. */
  latency: Histogram;
  dropped: number;
  /** Sum of the asked rates of the windows in this second, req/s (0 when unknown). */
  target: number;
  /** Whether any window in the second said what rate it asked for. */
  targeted: boolean;
  stages: string[];
}

/** The second an observation belongs to: a sample by its time, a window by its start. */
export const secondOf = (e: SampleEvent | WindowEvent): number => Math.floor((e.type === 'sample' ? e.t : e.start) / 1000);

export function newSecond(start: number): SecondBucket {
  return { start, s: Math.floor(start / 1000), requests: 0, failures: 0, latency: new Histogram(), dropped: 0, target: 0, targeted: false, stages: [] };
}

/** Add one request sample or load window to a bucket. */
export function addToSecond(b: SecondBucket, e: SampleEvent | WindowEvent): void {
  if (e.type === 'sample') {
    b.requests++;
    if (!e.ok) b.failures++;
    else b.latency.record(e.ms);
    if (e.t < b.start) b.start = e.t;
    return;
  }
  b.requests += e.requests;
  b.failures += e.failures;
  b.latency.merge(e.latency);
  b.dropped += e.dropped ?? 0;
  if (e.targetRate !== undefined) (b.target += e.targetRate), (b.targeted = true);
  const stage = e.labels?.stage;
  if (stage && !b.stages.includes(stage)) b.stages.push(stage);
  if (e.start < b.start) b.start = e.start;
}

export class PerSecond {
  private readonly buckets = new Map<number, SecondBucket>();

  add(e: SampleEvent | WindowEvent): void {
    const s = secondOf(e);
    let b = this.buckets.get(s);
    if (!b) this.buckets.set(s, (b = newSecond(e.type === 'sample' ? e.t : e.start)));
    addToSecond(b, e);
  }

  /** Buckets in time order. */
  seconds(): SecondBucket[] {
    return [...this.buckets.values()].sort((a, b) => a.s - b.s);
  }
}
