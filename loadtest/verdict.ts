/**
 * Surge and capacity verdicts, from the journal's load windows alone.
 *
 * A second breaches the SLO when its p99 or its error rate is over the line; a breach counts
 * once it lasts PERSIST_SECONDS consecutive seconds (a slow second or two is noise), and is
 * dated at its first second; the first WARMUP_MS of load are not judged. Seconds with too few requests to say are skipped. A generator
 * that could not produce the asked rate while the service was healthy makes the verdict
 * inconclusive, never "held".
 */
import type { WindowEvent } from '../core/events.ts';
import { formatValue } from '../core/gates.ts';
import { Histogram } from '../core/histogram.ts';
import { PerSecond, type SecondBucket } from '../core/seconds.ts';
import { formatDuration } from '../core/duration.ts';
import type { Stage } from './profiles.ts';

export interface Slo {
  /** p99 latency bound, ms. */
  p99Ms: number;
  /** Error-rate bound, 0..1. */
  maxErrorRate: number;
}
export const DEFAULT_SLO: Slo = { p99Ms: 500, maxErrorRate: 0.01 };

/** One second of load (core/seconds.ts, the one per-second aggregator). */
export type Second = SecondBucket;

export function seconds(windows: readonly WindowEvent[]): Second[] {
  const per = new PerSecond();
  for (const w of windows) per.add(w);
  return per.seconds();
}

/** Why a second breaches the SLO, or undefined when it holds (or is too thin to tell). */
export function breachOf(s: Second, slo: Slo, minRequests = 20): string | undefined {
  if (s.requests < minRequests) return undefined;
  const err = s.failures / s.requests;
  if (err > slo.maxErrorRate) return `errors ${formatValue(err, 'ratio')} > ${formatValue(slo.maxErrorRate, 'ratio')}`;
  const p99 = s.latency.quantile(0.99)!;
  if (p99 > slo.p99Ms) return `p99 ${formatValue(p99, 'ms')} > ${formatValue(slo.p99Ms, 'ms')}`;
  return undefined;
}

export interface Breach {
  /** Run-clock ms of the breach's first second. */
  at: number;
  what: string;
  /** Asked rate in that second, req/s. */
  targetRate: number;
}

/** Consecutive breached seconds that make a breach (one or two slow seconds are noise). */
export const PERSIST_SECONDS = 3;
/** Seconds after the load starts that are not judged: k6 and the service are warming up. */
export const WARMUP_MS = 2000;

/** The first breach that lasts `persist` seconds, ignoring seconds that start before `from`. */
export function firstBreach(secs: readonly Second[], slo: Slo, persist = PERSIST_SECONDS, from = -Infinity): Breach | undefined {
  let streak: Second[] = [];
  for (const s of secs) {
    if (s.start < from) continue;
    const why = breachOf(s, slo);
    streak = why ? [...streak, s] : [];
    if (streak.length >= persist) {
      const first = streak[0]!;
      return { at: first.start, what: breachOf(first, slo)!, targetRate: first.target };
    }
  }
  return undefined;
}

/** Live: feed windows as they come; `onBreach` fires once, when a breach has persisted. */
export class BreachWatcher {
  private readonly slo: Slo;
  private readonly persist: number;
  private readonly onBreach: (b: Breach) => void;
  private pending: WindowEvent[] = [];
  private done: Second[] = [];
  private fired = false;
  private skip: number;
  constructor(slo: Slo, onBreach: (b: Breach) => void, persist = PERSIST_SECONDS, warmupSeconds = WARMUP_MS / 1000) {
    this.skip = warmupSeconds;
    this.slo = slo;
    this.onBreach = onBreach;
    this.persist = persist;
  }
  add(w: WindowEvent): void {
    if (this.pending.length && this.pending[0]!.start !== w.start) {
      if (this.skip > 0) this.skip--;
      else this.done.push(...seconds(this.pending));
      this.pending = [];
      const b = this.fired ? undefined : firstBreach(this.done.slice(-this.persist), this.slo, this.persist);
      if (b) {
        this.fired = true;
        this.onBreach(b);
      }
    }
    this.pending.push(w);
  }
}

function ratioOfGenerator(secs: readonly Second[]): { dropped: number; asked: number } {
  let dropped = 0;
  let requests = 0;
  for (const s of secs) (dropped += s.dropped), (requests += s.requests);
  return { dropped, asked: dropped + requests };
}

const x = (m: number) => `${m.toFixed(1)}x`;

export interface SurgeVerdict {
  verdict: 'held' | 'broke' | 'inconclusive';
  /** One line: "held 3.0x for 5m: p99 12 ms, errors 0.1%" or "broke at 2.4x: ...". */
  summary: string;
  baseline: number;
  /** Multiple asked at the peak. */
  multiple: number;
  /** Achieved rate during the hold, as a multiple of baseline. */
  achievedMultiple?: number;
  hold?: { rps: number; p99?: number; errorRate?: number; requests: number };
  breach?: Breach & { multiple: number; afterLoadStartMs: number };
  /**
   * Capacity headroom at the peak (held only): how much of the SLO the hold left unused, 0..1.
   * p99: 1 - p99 / SLO p99; errors: 1 - error rate / SLO error rate.
   */
  headroom?: { p99?: number; errors?: number };
  reasons: string[];
}

/**
 * The figure a surge gate judges: the multiple when held, 0 when it broke (a breach is a
 * measurement: the gate fails, it does not lack data), nothing when inconclusive.
 */
export function surgeMultipleHeld(v: SurgeVerdict): number | undefined {
  return v.verdict === 'held' ? v.multiple : v.verdict === 'broke' ? 0 : undefined;
}

/** The SLO left unused during the hold: 1 - observed / limit, clamped to 0..1. */
export function surgeHeadroom(hold: SurgeVerdict['hold'], slo: Slo): SurgeVerdict['headroom'] {
  if (!hold?.requests) return undefined;
  const left = (x: number | undefined, limit: number) => (x === undefined || !(limit > 0) ? undefined : Math.min(1, Math.max(0, 1 - x / limit)));
  const p99 = left(hold.p99, slo.p99Ms);
  const errors = left(hold.errorRate, slo.maxErrorRate);
  return { ...(p99 !== undefined ? { p99 } : {}), ...(errors !== undefined ? { errors } : {}) };
}

export function surgeVerdict(windows: readonly WindowEvent[], stages: readonly Stage[], baseline: number, slo: Slo, loadStart = 0): SurgeVerdict {
  const peak = Math.max(...stages.map((s) => Math.max(s.from, s.to)));
  const multiple = peak / baseline;
  const secs = seconds(windows);
  const breach = firstBreach(secs, slo, PERSIST_SECONDS, loadStart + WARMUP_MS);
  if (breach) {
    const m = breach.targetRate / baseline;
    const after = breach.at - loadStart;
    return {
      verdict: 'broke',
      summary: `broke at ${x(m)}: first SLO breach at t=${formatDuration(Math.max(0, after))} (${breach.what})`,
      baseline,
      multiple,
      breach: { ...breach, multiple: m, afterLoadStartMs: after },
      reasons: [breach.what],
    };
  }
  const holdStage = stages.find((s) => s.name === 'hold');
  const holdWins = windows.filter((w) => w.labels?.stage === 'hold');
  const h = new Histogram();
  let req = 0;
  let fail = 0;
  for (const w of holdWins) (req += w.requests), (fail += w.failures), h.merge(w.latency);
  const rps = holdStage ? req / (holdStage.duration / 1000) : 0;
  const hold = { rps, requests: req, ...(req ? { p99: h.quantile(0.99)!, errorRate: fail / req } : {}) };
  const achievedMultiple = rps / baseline;
  const reasons: string[] = [];
  const gen = ratioOfGenerator(secs);
  if (gen.asked === 0) reasons.push('no requests were measured');
  if (gen.asked && gen.dropped / gen.asked > 0.01) reasons.push(`load generator fell short: ${gen.dropped} of ${gen.asked} iterations dropped`);
  if (holdStage && rps < 0.98 * peak) reasons.push(`reached ${x(achievedMultiple)} of the asked ${x(multiple)} during the hold (${Math.round(rps)} of ${Math.round(peak)} req/s)`);
  const stats = `p99 ${hold.p99 === undefined ? 'n/a' : formatValue(hold.p99, 'ms')}, errors ${formatValue(hold.errorRate ?? 0, 'ratio')}`;
  if (reasons.length) return { verdict: 'inconclusive', summary: `inconclusive: ${reasons.join('; ')}`, baseline, multiple, achievedMultiple, hold, reasons };
  return {
    verdict: 'held',
    summary: `held ${x(multiple)} for ${formatDuration(holdStage?.duration ?? 0)}: ${stats}`,
    baseline,
    multiple,
    achievedMultiple,
    hold,
    headroom: surgeHeadroom(hold, slo),
    reasons,
  };
}

export interface CapacityVerdict {
  verdict: 'found' | 'not-reached' | 'inconclusive';
  summary: string;
  /** Highest step rate sustained for its whole step within the SLO, req/s. */
  highestSustainedRps?: number;
  brokeAt?: { rate: number; what: string };
  steps: Array<{ stage: string; rate: number; achievedRps: number; breach?: string }>;
}

/** Capacity: the highest step the service held; the step after it is where the SLO broke. */
export function capacityVerdict(windows: readonly WindowEvent[], stages: readonly Stage[], slo: Slo, loadStart = -Infinity): CapacityVerdict {
  const steps: CapacityVerdict['steps'] = [];
  let highest: number | undefined;
  let brokeAt: CapacityVerdict['brokeAt'];
  let short = false;
  for (const st of stages) {
    const wins = windows.filter((w) => w.labels?.stage === st.name);
    if (!wins.length) break; // stopped before this step
    const secs = seconds(wins);
    const achievedRps = secs.reduce((a, s) => a + s.requests, 0) / (st.duration / 1000);
    const b = firstBreach(secs, slo, PERSIST_SECONDS, loadStart + WARMUP_MS);
    const gen = ratioOfGenerator(secs);
    const shortfall = !b && (gen.dropped / Math.max(1, gen.asked) > 0.01 || achievedRps < 0.95 * st.from);
    steps.push({ stage: st.name, rate: st.from, achievedRps, ...(b ? { breach: b.what } : shortfall ? { breach: 'rate not reached' } : {}) });
    if (b) {
      brokeAt = { rate: st.from, what: b.what };
      break;
    }
    if (shortfall) {
      short = true;
      break;
    }
    highest = st.from;
  }
  if (short) {
    return { verdict: 'inconclusive', summary: `inconclusive: the generator could not produce ${steps.at(-1)!.rate} req/s while the service was within its SLO`, ...(highest !== undefined ? { highestSustainedRps: highest } : {}), steps };
  }
  if (!brokeAt) {
    return { verdict: 'not-reached', summary: `held every step up to ${stages.at(-1)?.from ?? 0} req/s: capacity is higher`, ...(highest !== undefined ? { highestSustainedRps: highest } : {}), steps };
  }
  return {
    verdict: 'found',
    summary: highest !== undefined ? `highest sustained rate ${highest} req/s; broke at ${brokeAt.rate} req/s (${brokeAt.what})` : `broke at the first step, ${brokeAt.rate} req/s (${brokeAt.what})`,
    ...(highest !== undefined ? { highestSustainedRps: highest } : {}),
    brokeAt,
    steps,
  };
}
