/** Short human text for verdict pieces, shared by every renderer. */
import type { Counterexample, Destination } from '../analyze.ts';
import type { AllowedBy } from '../engine.ts';
import { formatOrigin, WORKLOAD_KINDS } from '../model.ts';

/**
 * An address cell's destination and a rule's allowed-by entry are shared, read-only, by every
 * counterexample that names them: each is formatted once, not once per mention. (A pod
 * destination is its counterexample's own: formatted as it comes.)
 */
const cellText = new WeakMap<Destination, string>();
const allowedByText = new WeakMap<AllowedBy, string>();

export function formatDestination(d: Destination): string {
  if (d.kind === 'pod') return `pod ${d.namespace}/${d.name}${d.ip ? ` (${d.ip})` : ''}`;
  if (d.kind !== 'ip') return `other-namespace pod (${d.description})`;
  let text = cellText.get(d);
  if (text === undefined) cellText.set(d, (text = `ip ${d.ip} (any of ${d.range})`));
  return text;
}

/** `TCP 443 -> ip 203.0.113.10 (any of 11.0.0.0-255.255.255.255)` */
export function formatCounterexample(cx: Counterexample): string {
  return `${cx.protocol} ${cx.port} -> ${formatDestination(cx.destination)}`;
}

export function formatAllowedBy(cx: Counterexample): string {
  let out = '';
  for (const a of cx.allowedBy) {
    let text = allowedByText.get(a);
    if (text === undefined) allowedByText.set(a, (text = a.origin ? `${a.reason}: ${formatOrigin(a.origin)}` : a.reason));
    out = out ? `${out}; ${text}` : text;
  }
  return out;
}

/** Said when the input had no workload: the exit code (1) is a failed check, not a pass. */
export const NOTHING_JUDGED = `nothing judged: the input has no workload (${WORKLOAD_KINDS.join(', ')}) whose egress could be checked; exit 1`;
