/**
 * Run directories seen from another terminal: `gauntlet runs` lists them (running, finished or
 * crashed, the verdict, what a crashed run left applied) and `gauntlet watch` follows one live
 * from its journal, the way `kubectl argo rollouts get --watch` follows a rollout. Read-only.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { faultWindows, phaseAt, type Phase } from '../core/analysis.ts';
import { unrevertedChanges } from '../core/changes.ts';
import type { JournalEvent, RunStart, RunStatus } from '../core/events.ts';
import { evaluateGates, type GateSpec, type GateVerdict, type RunVerdict } from '../core/gates.ts';
import { readJournal } from '../core/journal.ts';
import { liveRunLock, RUN_LOCK } from '../core/runlock.ts';
import { buildReport } from '../reports/model.ts';

export const JOURNAL = 'journal.ndjson';

/** running: the run is alive; finished: it journaled run.end; crashed: neither. */
export type RunDirState = 'running' | 'finished' | 'crashed';

export interface RunDirSummary {
  runId: string;
  runDir: string;
  scenario?: string;
  startedAt?: string;
  state: RunDirState;
  /** How a finished run ended (completed, aborted, interrupted, timeout, error). */
  runStatus?: RunStatus;
  /** A finished run's verdict, from its journal. */
  verdict?: RunVerdict;
  /** Changes journaled and never reverted: what `gauntlet recover` would undo. */
  leftApplied: Array<{ id: string; description: string }>;
  /** `recover` already ran to completion on it. */
  recovered: boolean;
  /** Seconds since the journal was last written. */
  idleSeconds: number;
}

/** A journal untouched this long, with no lock file, belongs to a dead run. */
export const IDLE_CRASHED_SECONDS = 30;

export function stateOf(events: readonly JournalEvent[], runDir: string, idleSeconds: number): RunDirState {
  if (events.some((e) => e.type === 'run.end')) return 'finished';
  // The run's lock (core/runlock.ts) says whether its process still lives; runs from before the
  // lock existed are judged by how recently their journal was written.
  if (existsSync(join(runDir, RUN_LOCK))) return liveRunLock(runDir) ? 'running' : 'crashed';
  return idleSeconds < IDLE_CRASHED_SECONDS ? 'running' : 'crashed';
}

export function summarizeRunDir(runDir: string, now = Date.now()): RunDirSummary | undefined {
  const path = join(runDir, JOURNAL);
  if (!existsSync(path)) return undefined;
  let events: JournalEvent[];
  try {
    events = readJournal(path);
  } catch {
    events = [];
  }
  const idleSeconds = Math.max(0, (now - statSync(path).mtimeMs) / 1000);
  const start = events.find((e): e is RunStart => e.type === 'run.start');
  const end = events.findLast((e) => e.type === 'run.end');
  const state = stateOf(events, runDir, idleSeconds);
  return {
    runId: start?.runId ?? runDir.split('/').filter(Boolean).at(-1)!,
    runDir,
    ...(start?.provenance?.scenario?.name ? { scenario: start.provenance.scenario.name } : {}),
    ...(start ? { startedAt: start.wall } : {}),
    state,
    ...(end?.type === 'run.end' ? { runStatus: end.status } : {}),
    ...(state === 'finished' ? { verdict: buildReport(events).verdict } : {}),
    leftApplied: unrevertedChanges(events).map((c) => ({ id: c.id, description: c.description })),
    recovered: events.some((e) => e.type === 'log' && e.msg === 'recover: done'),
    idleSeconds: Math.round(idleSeconds * 10) / 10,
  };
}

/** Every run directory under `reportDir`, newest first. */
export function listRuns(reportDir: string, now = Date.now()): RunDirSummary[] {
  let names: string[] = [];
  try {
    names = readdirSync(reportDir);
  } catch {
    return [];
  }
  return names
    .map((n) => summarizeRunDir(join(reportDir, n), now))
    .filter((x): x is RunDirSummary => x !== undefined)
    .sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? '') || b.runId.localeCompare(a.runId));
}

function gatesOf(start: RunStart | undefined): GateSpec[] {
  const g = (start?.scenario as { gates?: unknown } | undefined)?.gates;
  return Array.isArray(g) ? (g as GateSpec[]) : [];
}

export interface WatchState {
  runId: string;
  scenario?: string;
  state: RunDirState;
  /** Seconds on the run clock of the last event. */
  elapsedSeconds: number;
  durationSeconds?: number;
  phase: Phase;
  /** Steps started and not ended. */
  activeSteps: string[];
  openFaults: string[];
  /** The last `recentSeconds` of traffic. */
  recent: { seconds: number; requests: number; failures: number; errorRate?: number; rps: number };
  totals: { requests: number; failures: number; errorRate?: number };
  /** Gates evaluated on what the journal holds so far (final only once the run ends). */
  gates: Array<{ name: string; metric: string; unit: string; observed?: number; verdict: GateVerdict; samples: number }>;
  verdict?: RunVerdict;
  leftApplied: Array<{ id: string; description: string }>;
  lastEvent?: string;
}

/** The live state of a run from its journal so far. */
export function watchState(events: readonly JournalEvent[], state: RunDirState, recentSeconds = 5): WatchState {
  const start = events.find((e): e is RunStart => e.type === 'run.start');
  const now = events.reduce((m, e) => Math.max(m, e.t), 0);
  const windows = faultWindows(events);
  const started = new Map<string, boolean>();
  const openFaults = new Set<string>();
  let requests = 0;
  let failures = 0;
  let rReq = 0;
  let rFail = 0;
  for (const e of events) {
    if (e.type === 'step.start') started.set(e.step, true);
    else if (e.type === 'step.end') started.delete(e.step);
    else if (e.type === 'fault.start') openFaults.add(e.step);
    else if (e.type === 'fault.end') openFaults.delete(e.step);
    else if (e.type === 'sample' || e.type === 'window') {
      const n = e.type === 'sample' ? 1 : e.requests;
      const f = e.type === 'sample' ? (e.ok ? 0 : 1) : e.failures;
      requests += n;
      failures += f;
      const t = e.type === 'sample' ? e.t : e.end;
      if (t >= now - recentSeconds * 1000) {
        rReq += n;
        rFail += f;
      }
    }
  }
  const verdict = evaluateGates(events, gatesOf(start));
  const last = events.at(-1);
  const dur = (start?.scenario as { duration?: unknown } | undefined)?.duration;
  return {
    runId: start?.runId ?? 'unknown',
    ...(start?.provenance?.scenario?.name ? { scenario: start.provenance.scenario.name } : {}),
    state,
    elapsedSeconds: Math.round(now) / 1000,
    ...(typeof dur === 'number' ? { durationSeconds: dur / 1000 } : {}),
    phase: openFaults.size ? 'during' : phaseAt(now, windows),
    activeSteps: [...started.keys()],
    openFaults: [...openFaults],
    recent: { seconds: recentSeconds, requests: rReq, failures: rFail, ...(rReq ? { errorRate: rFail / rReq } : {}), rps: rReq / recentSeconds },
    totals: { requests, failures, ...(requests ? { errorRate: failures / requests } : {}) },
    gates: verdict.gates.map((g) => ({ name: g.name, metric: g.metric, unit: g.unit, ...(g.observed !== undefined ? { observed: g.observed } : {}), verdict: g.verdict, samples: g.samples })),
    ...(state === 'finished' ? { verdict: verdict.verdict } : {}),
    leftApplied: unrevertedChanges(events).map((c) => ({ id: c.id, description: c.description })),
    ...(last ? { lastEvent: last.type } : {}),
  };
}
