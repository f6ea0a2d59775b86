/** Short human text for verdict pieces, shared by every renderer. */
import type { Counterexample, Destination } from '../analyze.ts';
import { formatOrigin, WORKLOAD_KINDS } from '../model.ts';

export function formatDestination(d: Destination): string {
  if (d.kind === 'pod') return `pod ${d.namespace}/${d.name}${d.ip ? ` (${d.ip})` : ''}`;
  if (d.kind === 'ip') return `ip ${d.ip} (any of ${d.range})`;
  return `other-namespace pod (${d.description})`;
}

/** `TCP 443 -> ip 203.0.113.10 (any of 11.0.0.0-255.255.255.255)` */
export function formatCounterexample(cx: Counterexample): string {
  return `${cx.protocol} ${cx.port} -> ${formatDestination(cx.destination)}`;
}

export function formatAllowedBy(cx: Counterexample): string {
  return cx.allowedBy.map((a) => (a.origin ? `${a.reason}: ${formatOrigin(a.origin)}` : a.reason)).join('; ');
}

/** Said when the input had no workload: the exit code (1) is a failed check, not a pass. */
export const NOTHING_JUDGED = `nothing judged: the input has no workload (${WORKLOAD_KINDS.join(', ')}) whose egress could be checked; exit 1`;
