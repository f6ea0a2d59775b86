/**
 * Requests that failed while a fault was in effect, counted from the run's own traffic: the load's
 * windows (k6) that ended after the fault began, plus failed probe requests (samples that are not
 * a check's). Shared by the faults that report `requestsFailed`.
 */
import type { JournalEvent } from '../core/events.ts';
import type { Journal } from '../core/journal.ts';

export const REQUESTS_FAILED_DEFINITION = 'failed requests during the fault: load windows (k6) that ended in it, plus failed probe requests';

/** Start counting from run-clock `start`; the returned function stops and gives the count. */
export function countFailedRequests(journal: Pick<Journal, 'subscribe'>, start: number): () => number {
  let failed = 0;
  const stop = journal.subscribe((e: JournalEvent) => {
    if (e.type === 'window' && e.end > start) failed += e.failures;
    else if (e.type === 'sample' && e.measures !== 'check' && !e.ok && e.t >= start) failed++;
  });
  return () => {
    stop();
    return failed;
  };
}
