/**
 * Crash recovery: undo, from the journal alone, every change a run made and did not revert,
 * and stop child processes (k6) that outlived it. Reverters are idempotent, so recovering twice
 * (or a change that never happened) is safe.
 *
 * Safety, in order: a run still going (its lock's process alive) is refused; the cluster is the
 * one the run recorded (same kubeconfig, and the same API server or nothing is done); commands
 * taken from the journal run only with `runCommands` (a journal can come from anyone).
 */
import { join } from 'node:path';
import { reverterFor, revertChange, unrevertedChanges } from '../core/changes.ts';
import { UsageError, type UnrevertedChange } from '../core/errors.ts';
import type { ChangeIntent, JournalEvent, ProcessStart } from '../core/events.ts';
import { Journal, readJournal } from '../core/journal.ts';
import type { GauntletOptions } from '../core/options.ts';
import { processAlive, stopProcess } from '../core/proc.ts';
import { liveRunLock } from '../core/runlock.ts';
import './kinds.ts';

export interface RecoverOptions {
  /** Run `command` reverters' argv from the journal (otherwise they are shown and recover refuses). */
  runCommands?: boolean;
  /** List what would be undone (and the processes that would be stopped); change nothing. */
  dryRun?: boolean;
}

export interface RecoverResult {
  reverted: Array<{ id: string; description: string }>;
  failed: UnrevertedChange[];
  /** Child processes of the run that were still running and were stopped. */
  stopped: Array<{ pid: number; command: string }>;
  /** With dryRun: what would be undone and stopped. */
  planned?: Array<{ id: string; description: string }>;
}

/** Note in a crashed run's journal that nothing is left to undo, so it is not flagged again. */
function markDone(path: string): void {
  const j = Journal.reopen(path);
  j.appendDurable({ type: 'log', level: 'info', msg: 'recover: done' });
  j.close();
}

/** process.start events with no process.end: children that may have outlived the run. */
export function survivingProcesses(events: readonly JournalEvent[]): ProcessStart[] {
  const open = new Map<number, ProcessStart>();
  for (const e of events) {
    if (e.type === 'process.start') open.set(e.pid, e);
    else if (e.type === 'process.end') open.delete(e.pid);
  }
  return [...open.values()];
}

/** Reverters of faults that also keep their undo state on the objects they changed (chaos/sweep.ts). */
const CLUSTER_FAULT_REVERTS = new Set(['node-restore', 'node-start', 'spot-interruption', 'pod-failure', 'network-partition']);

const commandsOf = (changes: readonly ChangeIntent[]) => changes.filter((c) => reverterFor(c.revert.kind)?.runsCommands);

export async function recoverRun(runDir: string, o: GauntletOptions, ro: RecoverOptions = {}): Promise<RecoverResult> {
  const path = join(runDir, 'journal.ndjson');
  const events = readJournal(path);
  const live = liveRunLock(runDir);
  if (live) {
    throw new UsageError(`run ${runDir} is still going (pid ${live.pid}, started ${live.started}): recover would revert its changes under it`, {
      hint: 'stop it with Ctrl-C (it reverts on the way out), or wait for it to end',
    });
  }
  const todo = unrevertedChanges(events);
  const result: RecoverResult = { reverted: [], failed: [], stopped: [] };

  if (ro.dryRun) {
    const alive = survivingProcesses(events).filter((p) => processAlive(p.pid, p.startTicks));
    return { ...result, planned: [...alive.map((p) => ({ id: `pid ${p.pid}`, description: `stop ${p.command}` })), ...todo.map((c) => ({ id: c.id, description: c.description }))] };
  }
  const commands = commandsOf(todo);
  if (commands.length && !ro.runCommands) {
    throw new UsageError(
      `the journal asks to run ${commands.length} command(s) to revert; nothing was done:\n` +
        commands.map((c) => `  - ${c.id}: ${(c.revert.argv as string[] | undefined)?.join(' ') ?? c.description}`).join('\n'),
      { hint: 'read them, then rerun with --run-commands to run them' },
    );
  }

  for (const p of survivingProcesses(events)) {
    if ((await stopProcess(p.pid, p.startTicks)) === 'stopped') {
      o.progress(`stopped ${p.command} (pid ${p.pid}), left running by the run`);
      result.stopped.push({ pid: p.pid, command: p.command });
    }
  }

  const finished = events.some((e) => e.type === 'run.end' || (e.type === 'log' && e.msg === 'recover: done'));
  if (todo.length === 0) {
    if (!finished || result.stopped.length) markDone(path);
    return result;
  }

  const start = events.find((e) => e.type === 'run.start');
  const recorded = start?.type === 'run.start' ? start.provenance.kube : undefined;
  let kubeP: Promise<unknown> | undefined;
  const kube = () => (kubeP ??= connectAsRecorded(recorded, o));
  if (recorded && todo.some((c) => !reverterFor(c.revert.kind)?.runsCommands)) {
    // Connect and check the server before touching anything.
    await kube();
  }
  const journal = Journal.reopen(path);
  try {
    journal.appendDurable({ type: 'log', level: 'info', msg: `recover: ${todo.length} change(s) to revert` });
    for (const c of todo) {
      o.progress(`reverting ${c.id}: ${c.description}`);
      const failed = await revertChange(journal, c.id, c.description, c.revert, { kube });
      if (failed) result.failed.push(failed);
      else result.reverted.push({ id: c.id, description: c.description });
    }
    // Node and pod faults also left their undo state on the objects: sweep what this run still marks
    // (a change the journal no longer holds, e.g. a truncated journal). Reading nodes may be denied: then only a warning.
    if (recorded && start?.type === 'run.start' && todo.some((c) => CLUSTER_FAULT_REVERTS.has(c.revert.kind))) {
      try {
        const { sweepRunMarks } = await import('../chaos/sweep.ts');
        for (const s of await sweepRunMarks((await kube()) as import('../core/kube.ts').Kube, start.runId)) o.progress(`recover: restored ${s} from its own undo state`);
      } catch (e) {
        journal.appendDurable({ type: 'log', level: 'warn', msg: `recover: sweeping the run's marks: ${(e as Error).message}` });
      }
    }
    if (result.failed.length === 0) journal.appendDurable({ type: 'log', level: 'info', msg: 'recover: done' });
  } finally {
    journal.close();
  }
  return result;
}

/**
 * Reconnect to the cluster the run acted on: its kubeconfig (unless --kubeconfig says
 * otherwise) and context, and only if the API server is the one recorded.
 */
async function connectAsRecorded(recorded: { context: string; server: string; namespace: string; kubeconfig?: string } | undefined, o: GauntletOptions): Promise<unknown> {
  const { connect } = await import('../core/kube.ts');
  const k = connect({
    ...o,
    ...(!o.kubeconfig && recorded?.kubeconfig ? { kubeconfigEnv: recorded.kubeconfig } : {}),
    context: recorded?.context ?? o.context,
    namespace: recorded?.namespace ?? o.namespace,
  });
  o.progress(`recover: context ${k.context} at ${k.server} (kubeconfig ${k.kubeconfig || 'none'})${recorded ? `; the run used ${recorded.server}` : ''}`);
  if (recorded && k.server !== recorded.server) {
    throw new UsageError(`context ${k.context} points at ${k.server}, but the run acted on ${recorded.server}: refusing to revert on another cluster`, {
      hint: `pass --kubeconfig with the kubeconfig the run used${recorded.kubeconfig ? ` (${recorded.kubeconfig})` : ''}`,
    });
  }
  return k;
}

export interface ClusterRecoverOptions {
  /** List what carries the run's marks and what undoing it means; change nothing. */
  dryRun?: boolean;
  /** Refuse unless the context's API server is this one (the journal's check, given by hand). */
  server?: string;
  /** An already connected cluster (library callers, tests); default: connect as every command does. */
  kube?: import('../core/kube.ts').Kube;
}

export interface ClusterRecoverResult {
  runId: string;
  context: string;
  server: string;
  kubeconfig: string;
  dryRun: boolean;
  /** Every object carrying the run's undo state, and what undoing it means. */
  planned: Array<{ object: string; step?: string; undo: string }>;
  reverted: Array<{ object: string; undo: string }>;
  failed: Array<{ object: string; error: string }>;
}

/**
 * Recovery with the journal lost: undo what the cluster's own marks say run `runId` left
 * (chaos/sweep.ts: nodes' and pods' undo annotations, injected NetworkPolicies). The cluster is
 * the one the kubeconfig and --context resolve to, as for every command, printed before anything
 * is done; only objects carrying this run id are touched, so a wrong cluster finds nothing.
 * Changes that keep no state on the cluster (created objects of deploy steps, commands) need
 * the journal. A run still going on this machine (its run directory's lock) is refused.
 */
export async function recoverFromCluster(runId: string, o: GauntletOptions, ro: ClusterRecoverOptions = {}): Promise<ClusterRecoverResult> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(runId)) throw new UsageError(`--run-id ${JSON.stringify(runId)}: expected a run id (the run directory's name, e.g. 20261121T120000Z-chaos-ab12)`);
  const live = liveRunLock(join(o.reportDir, runId));
  if (live) throw new UsageError(`run ${runId} is still going (pid ${live.pid}): recover would revert its changes under it`, { hint: 'stop it with Ctrl-C (it reverts on the way out), or wait for it to end' });
  const kube = ro.kube ?? (await import('../core/kube.ts')).connect(o);
  o.progress(`recover: context ${kube.context} at ${kube.server} (kubeconfig ${kube.kubeconfig || 'none'}); run ${runId}, from the cluster's marks (no journal)`);
  if (ro.server !== undefined && ro.server.replace(/\/+$/, '') !== kube.server.replace(/\/+$/, '')) {
    throw new UsageError(`context ${kube.context} points at ${kube.server}, not ${ro.server}: refusing to revert on another cluster`, { hint: 'pass --kubeconfig / --context for the cluster the run acted on' });
  }
  const { planRunMarks } = await import('../chaos/sweep.ts');
  const items = await planRunMarks(kube, runId);
  const result: ClusterRecoverResult = {
    runId, context: kube.context, server: kube.server, kubeconfig: kube.kubeconfig, dryRun: !!ro.dryRun,
    planned: items.map((i) => ({ object: i.object, ...(i.step ? { step: i.step } : {}), undo: i.undo })), reverted: [], failed: [],
  };
  if (ro.dryRun) return result;
  for (const i of items) {
    o.progress(`reverting ${i.object}: ${i.undo}`);
    try {
      if ((await i.apply()) === 'done') result.reverted.push({ object: i.object, undo: i.undo });
    } catch (e) {
      result.failed.push({ object: i.object, error: (e as Error).message });
    }
  }
  return result;
}
