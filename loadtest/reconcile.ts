/**
 * The end-of-run check of the live channel: k6's own totals (`--summary-export`) against the sum
 * of the windows. Pushes are cumulative and k6 flushes once more when it stops, so on a normal
 * exit the two agree exactly; any difference (a push lost at the very end, k6 killed before its
 * last flush) is reported in the journal and the report, never hidden.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Totals } from './windows.ts';

/** requests = http_reqs.count, failures = http_req_failed passes (true = failed), dropped = dropped_iterations.count. */
export function readSummaryTotals(file: string): Totals | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const m = (JSON.parse(readFileSync(file, 'utf8')) as { metrics?: Record<string, Record<string, number>> }).metrics ?? {};
    return { requests: m.http_reqs?.count ?? 0, failures: m.http_req_failed?.passes ?? 0, dropped: m.dropped_iterations?.count ?? 0 };
  } catch {
    return undefined;
  }
}

export interface Reconciliation {
  /** summary − windows, per total, when any differs. */
  mismatch?: Totals;
  /** A warning for the journal, when there is something to say. */
  message?: string;
}

export function reconcile(windows: Totals, summary: Totals | undefined): Reconciliation {
  if (!summary) return { message: "k6 wrote no --summary-export: the live windows' totals could not be checked against k6's own" };
  const d: Totals = { requests: summary.requests - windows.requests, failures: summary.failures - windows.failures, dropped: summary.dropped - windows.dropped };
  if (!d.requests && !d.failures && !d.dropped) return {};
  const parts = (['requests', 'failures', 'dropped'] as const)
    .filter((k) => d[k])
    .map((k) => `${k === 'dropped' ? 'dropped iterations' : k}: windows ${windows[k]}, k6 summary ${summary[k]}`);
  return { mismatch: d, message: `live windows disagree with k6's end-of-test totals (${parts.join('; ')}); the numbers above come from the windows` };
}
