/**
 * Flagger's view of a release, as the journal keeps it: each change of the Canary's status
 * (phase, canaryWeight, failedChecks, iterations, conditions, lastTransitionTime) becomes one
 * mark, and the phase timeline is derived from those marks alone (so `gauntlet report` can
 * rebuild it from the journal).
 */
import type { JournalEvent, MarkEvent } from '../../core/events.ts';

export interface CanaryStatusView {
  phase?: string;
  canaryWeight?: number;
  failedChecks?: number;
  iterations?: number;
  lastTransitionTime?: string;
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }>;
}

export const STATUS_MARK = 'flagger status';

/** The fields that matter, in a stable shape (for comparing two readings). */
export function statusView(s: Record<string, unknown> | undefined): CanaryStatusView {
  const x = (s ?? {}) as CanaryStatusView;
  return {
    ...(x.phase !== undefined ? { phase: x.phase } : {}),
    ...(x.canaryWeight !== undefined ? { canaryWeight: x.canaryWeight } : {}),
    ...(x.failedChecks !== undefined ? { failedChecks: x.failedChecks } : {}),
    ...(x.iterations !== undefined ? { iterations: x.iterations } : {}),
    ...(x.lastTransitionTime !== undefined ? { lastTransitionTime: x.lastTransitionTime } : {}),
    ...(x.conditions ? { conditions: x.conditions.map((c) => ({ type: c.type, status: c.status, ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message } : {}) })) } : {}),
  };
}

export function statusLabel(v: CanaryStatusView): string {
  const promoted = v.conditions?.find((c) => c.type === 'Promoted');
  return `${STATUS_MARK}: ${v.phase ?? '(none)'} weight ${v.canaryWeight ?? 0} % failedChecks ${v.failedChecks ?? 0} iterations ${v.iterations ?? 0}${promoted?.message ? ` (${promoted.message})` : ''}`;
}

export interface PhaseSpan {
  phase: string;
  /** Run clock, ms: when Gauntlet first saw the phase. */
  from: number;
  to?: number;
  /** Flagger's own lastTransitionTime when the phase was first seen. */
  flaggerTime?: string;
}

/** The phase timeline of one step, from its status marks. */
export function phaseTimeline(events: readonly JournalEvent[], step: string): PhaseSpan[] {
  const spans: PhaseSpan[] = [];
  for (const e of events) {
    if (e.type !== 'mark' || (e as MarkEvent).step !== step || !(e as MarkEvent).label.startsWith(STATUS_MARK)) continue;
    const v = ((e as MarkEvent).data ?? {}) as CanaryStatusView;
    const phase = v.phase ?? '(none)';
    const last = spans.at(-1);
    if (last?.phase === phase) continue;
    if (last) last.to = e.t;
    spans.push({ phase, from: e.t, ...(v.lastTransitionTime ? { flaggerTime: v.lastTransitionTime } : {}) });
  }
  return spans;
}
