/**
 * Crash recovery: undo, from the journal alone, every change a run made and did not revert.
 * Reverters are idempotent, so recovering twice (or a change that never happened) is safe.
 */
import { join } from 'node:path';
import { revertChange, unrevertedChanges } from '../core/changes.ts';
import type { UnrevertedChange } from '../core/errors.ts';
import { Journal, readJournal } from '../core/journal.ts';
import type { GauntletOptions } from '../core/options.ts';
import './kinds.ts';

export interface RecoverResult {
  reverted: Array<{ id: string; description: string }>;
  failed: UnrevertedChange[];
}

/** Note in a crashed run's journal that nothing is left to undo, so it is not flagged again. */
function markDone(path: string): void {
  const j = Journal.reopen(path);
  j.appendDurable({ type: 'log', level: 'info', msg: 'recover: done' });
  j.close();
}

export async function recoverRun(runDir: string, o: GauntletOptions): Promise<RecoverResult> {
  const path = join(runDir, 'journal.ndjson');
  const events = readJournal(path);
  const todo = unrevertedChanges(events);
  const result: RecoverResult = { reverted: [], failed: [] };
  const finished = events.some((e) => e.type === 'run.end' || (e.type === 'log' && e.msg === 'recover: done'));
  if (todo.length === 0) {
    if (!finished) markDone(path);
    return result;
  }
  const start = events.find((e) => e.type === 'run.start');
  const kubeCtx = start?.type === 'run.start' ? start.provenance.kube : undefined;
  let kubeP: Promise<unknown> | undefined;
  const kube = () =>
    (kubeP ??= import('../core/kube.ts').then((m) => m.connect({ ...o, context: kubeCtx?.context ?? o.context, namespace: kubeCtx?.namespace ?? o.namespace })));
  const journal = Journal.reopen(path);
  try {
    journal.appendDurable({ type: 'log', level: 'info', msg: `recover: ${todo.length} change(s) to revert` });
    for (const c of todo) {
      o.progress(`reverting ${c.id}: ${c.description}`);
      const failed = await revertChange(journal, c.id, c.description, c.revert, { kube });
      if (failed) result.failed.push(failed);
      else result.reverted.push({ id: c.id, description: c.description });
    }
    if (result.failed.length === 0) journal.appendDurable({ type: 'log', level: 'info', msg: 'recover: done' });
  } finally {
    journal.close();
  }
  return result;
}
