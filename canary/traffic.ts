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

export type AttributionMode = 'response-header' | 'per-version-services';

/**
 * auto: the version header when any baseline response carried one; per-version Services when
 * responses keep coming back without one (at least 20 over 3 s) and none with one; undefined
 * while it cannot tell yet.
 */
export function attributionMode(asked: 'auto' | 'header' | 'services', a: Pick<Attribution, 'stable' | 'unversioned'>, now: number): AttributionMode | undefined {
  if (asked === 'header') return 'response-header';
  if (asked === 'services') return 'per-version-services';
  if (a.stable.size) return 'response-header';
  if (a.unversioned.first !== undefined && a.unversioned.requests >= 20 && now - a.unversioned.first >= 3000) return 'per-version-services';
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
  /** Only events of this step count (attribution by Gauntlet's own per-version probes). */
  private readonly onlyStep: string | undefined;
  /** Before the lock: requests that came back without a version, and when the first did. */
  readonly unversioned = { requests: 0, first: undefined as number | undefined };

  constructor(versions: { stable?: string; canary?: string } = {}, o: { onlyStep?: string } = {}) {
    if (versions.stable) this.stable.add(versions.stable);
    this.canary = versions.canary;
    this.onlyStep = o.onlyStep;
  }

  /** Before the canary exists: everything with a version is stable. */
  observeBaseline(e: JournalEvent): void {
    const s = servedOf(e);
    if (s && !this.locked && s.version !== this.canary) this.stable.add(s.version);
    // Successful responses without a version: the service may not report one (failures may come
    // from a router with no route yet, or no response at all: they say nothing either way).
    const answered = e.type === 'window' ? (e as WindowEvent).requests - (e as WindowEvent).failures : e.type === 'sample' && (e as SampleEvent).ok ? 1 : 0;
    if (!s && answered > 0 && (e.type === 'window' ? !(e as WindowEvent).labels?.version : !(e as SampleEvent).labels?.version)) {
      this.unversioned.requests += answered;
      this.unversioned.first ??= e.type === 'window' ? (e as WindowEvent).start : (e as SampleEvent).t;
    }
  }

  /** Forget the versionless responses seen so far (routing changed: only what comes next counts). */
  resetUnversioned(): void {
    this.unversioned.requests = 0;
    this.unversioned.first = undefined;
  }

  /** From the canary's creation on: stable's versions are fixed, anything else is the canary. */
  lock(): void {
    this.locked = true;
  }

  observe(e: JournalEvent): void {
    if (this.onlyStep !== undefined && (e as { step?: string }).step !== this.onlyStep) return;
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
