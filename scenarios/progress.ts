/**
 * The runner's heartbeat: one line every few seconds a person can follow a run by, from the
 * journal so far: time on the run clock and time left, the phase (which fault windows are open),
 * the steps running, and the last second's traffic.
 */
import type { JournalEvent } from '../core/events.ts';
import { formatValue } from '../core/gates.ts';

export function heartbeat(events: readonly JournalEvent[], nowMs: number, durationMs: number): string {
  const running = new Map<string, string>();
  const faults = new Map<string, string>();
  let lastWindowStart = -Infinity;
  for (const e of events) {
    if (e.type === 'step.start') running.set(e.step, e.kind);
    else if (e.type === 'step.end') running.delete(e.step);
    else if (e.type === 'fault.start') faults.set(e.step, `${e.kind} on ${e.target}`);
    else if (e.type === 'fault.end') faults.delete(e.step);
    else if (e.type === 'window' && e.start > lastWindowStart) lastWindowStart = e.start;
  }
  let requests = 0;
  let failures = 0;
  for (const e of events) if (e.type === 'window' && e.start === lastWindowStart) (requests += e.requests), (failures += e.failures);
  const sec = (ms: number) => `${Math.max(0, Math.round(ms / 1000))}s`;
  const phase = faults.size ? `during ${[...faults].map(([step, what]) => `${step} (${what})`).join(', ')}` : events.some((e) => e.type === 'fault.end') ? 'after the faults' : 'before any fault';
  const parts = [
    `── ${sec(nowMs)} of ${sec(durationMs)}, at most ${sec(durationMs - nowMs)} left`,
    phase,
    `running: ${[...running.keys()].join(', ') || 'nothing'}`,
  ];
  if (requests) parts.push(`last second ${requests} req, err ${formatValue(failures / requests, 'ratio')}`);
  return parts.join(' · ');
}
