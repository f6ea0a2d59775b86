/**
 * Live attribution of the run's traffic to stable or canary, from the journal's windows (k6) and
 * samples (probes) labelled with the version the service reported. Keeps what the figures need:
 * the first canary response (t0), the last one (for tr), and failures by version.
 */
import type { JournalEvent, SampleEvent, WindowEvent } from '../core/events.ts';
import { Histogram } from '../core/histogram.ts';
import type { VersionSecond } from './analysis.ts';

export type Role = 'stable' | 'canary';

export interface Served {
  role: Role;
  version: string;
  /** Run-clock ms: when the requests started (a window's start, a sample's t) and ended. */
  start: number;
  end: number;
  second: VersionSecond;
}

export function servedOf(e: JournalEvent): { version: string; start: number; end: number; second: VersionSecond } | undefined {
  if (e.type === 'window') {
    const w = e as WindowEvent;
    const version = w.labels?.version;
    if (!version || w.requests === 0) return undefined;
    return { version, start: w.start, end: w.end, second: { requests: w.requests, failures: w.failures, latency: Histogram.from(w.latency) } };
  }
  if (e.type === 'sample') {
    const s = e as SampleEvent;
    const version = s.labels?.version;
    if (!version) return undefined;
    const latency = new Histogram();
    if (s.ok) latency.record(s.ms);
    return { version, start: s.t, end: s.t + s.ms, second: { requests: 1, failures: s.ok ? 0 : 1, latency } };
  }
  return undefined;
}

export class Attribution {
  /** Versions stable serves (given, or seen before the canary existed). */
  readonly stable = new Set<string>();
  canary: string | undefined;
  private locked = false;
  t0: number | undefined;
  lastCanaryEnd: number | undefined;
  private readonly served: Served[] = [];
  private read = 0;

  constructor(versions: { stable?: string; canary?: string } = {}) {
    if (versions.stable) this.stable.add(versions.stable);
    this.canary = versions.canary;
  }

  /** Before the canary exists: everything with a version is stable. */
  observeBaseline(e: JournalEvent): void {
    const s = servedOf(e);
    if (s && !this.locked && s.version !== this.canary) this.stable.add(s.version);
  }

  /** From the canary's creation on: stable's versions are fixed, anything else is the canary. */
  lock(): void {
    this.locked = true;
  }

  observe(e: JournalEvent): void {
    if (!this.locked) return this.observeBaseline(e);
    const s = servedOf(e);
    if (!s) return;
    let role: Role | undefined;
    if (this.stable.has(s.version)) role = 'stable';
    else if (!this.canary || this.canary === s.version) {
      this.canary ??= s.version;
      role = 'canary';
    }
    if (!role) return;
    if (role === 'canary') {
      this.t0 = Math.min(this.t0 ?? Infinity, s.start);
      this.lastCanaryEnd = Math.max(this.lastCanaryEnd ?? -Infinity, s.end);
    }
    this.served.push({ role, ...s });
  }

  /** What arrived since the last call. */
  drain(): Served[] {
    const out = this.served.slice(this.read);
    this.read = this.served.length;
    return out;
  }

  /** Failures per version among requests that started in [from, to]. */
  failuresBetween(from: number, to: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.served) if (s.start >= from && s.start <= to) out[s.version] = (out[s.version] ?? 0) + s.second.failures;
    return out;
  }

  /** Failures per version among windows/samples overlapping [from, to] (1 s windows count whole). */
  failuresOverlapping(from: number, to: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.served) if (s.start <= to && s.end >= from) out[s.version] = (out[s.version] ?? 0) + s.second.failures;
    return out;
  }

  /** Latest time any stable response was seen (to know the load is still running). */
  lastStableEnd(): number | undefined {
    let t: number | undefined;
    for (const s of this.served) if (s.role === 'stable') t = Math.max(t ?? -Infinity, s.end);
    return t;
  }
}
