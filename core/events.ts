/**
 * The run journal's event vocabulary. The journal is the one source of truth: gates, every
 * report format and crash recovery are derived from these events alone.
 *
 * Times: `t` is milliseconds on the run's monotonic clock (0 = run start), `wall` is ISO-8601 UTC.
 */
import type { FailureCause } from './failures.ts';
import type { HistogramData } from './histogram.ts';

export const JOURNAL_SCHEMA_VERSION = 1;

export type Labels = Record<string, string>;

interface Base {
  /** Journal schema version. */
  v: number;
  /** Sequence number, 0-based, strictly increasing. */
  seq: number;
  /** Monotonic run clock, ms since run start. */
  t: number;
  /** Wall-clock time, ISO-8601. */
  wall: string;
}

export interface Provenance {
  tool: { name: 'gauntlet'; version: string };
  node: string;
  /** Versions of external tools used by the run (k6, kubectl server, ...). */
  tools: Record<string, string>;
  scenario: { file: string; name: string; sha256: string; git?: { commit: string; dirty: boolean } };
  /** The cluster the run acted on; `recover` reconnects with the same kubeconfig and refuses another server. */
  kube?: { context: string; server: string; namespace: string; kubeconfig?: string };
  seed: number;
  host: string;
}

export interface RunStart extends Base {
  type: 'run.start';
  runId: string;
  /** The normalized scenario, secrets redacted. */
  scenario: unknown;
  provenance: Provenance;
  /** Absolute start time of the monotonic clock, epoch ms. */
  epochMs: number;
}

export type RunStatus = 'completed' | 'aborted' | 'interrupted' | 'timeout' | 'error';

export interface RunEnd extends Base {
  type: 'run.end';
  status: RunStatus;
  reason?: string;
}

export interface StepStart extends Base {
  type: 'step.start';
  step: string;
  kind: string;
  section: string;
}

export interface StepEnd extends Base {
  type: 'step.end';
  step: string;
  ok: boolean;
  error?: string;
}

/**
 * One observation (probes): the raw sample behind every number in a report. Most are requests;
 * a `check` sample is a verdict with no latency (an egress-probe row), kept out of the request
 * metrics (core/analysis.ts `isRequest`).
 */
export interface SampleEvent extends Base {
  type: 'sample';
  step: string;
  /** What it measures: a request (default) or a check's verdict. */
  measures?: 'request' | 'check';
  ok: boolean;
  /** HTTP status, 0 when no response arrived. */
  status: number;
  /** Latency in ms (time to full response, or to the failure); latency metrics use successful requests only. */
  ms: number;
  labels?: Labels;
  error?: string;
  /** Why it failed, one of core/failures.ts's causes (absent when ok). */
  cause?: FailureCause;
}

/**
 * One window of aggregated load (k6 at 1 s resolution). Histograms, not averages, so
 * percentiles merge exactly across windows.
 */
export interface WindowEvent extends Base {
  type: 'window';
  step: string;
  /** Window bounds on the run clock, ms. */
  start: number;
  end: number;
  labels?: Labels;
  requests: number;
  failures: number;
  /** Failures by cause (core/failures.ts); the counts add up to `failures`. */
  causes?: Partial<Record<FailureCause, number>>;
  /** Latency of the successful responses only (k6: expected_response=true). */
  latency: HistogramData;
  /** Arrival rate the profile asked for in this window, requests/s. */
  targetRate?: number;
  /** Iterations the generator could not start (k6 dropped_iterations). */
  dropped?: number;
}

/** A single named number a step measured, e.g. rollbackSeconds. */
export interface FigureEvent extends Base {
  type: 'figure';
  step: string;
  name: string;
  value: number;
  unit: string;
  labels?: Labels;
  /** What the number means, e.g. "fault onset to 100% of traffic on stable". */
  definition?: string;
}

/** Fault windows drive the before/during/after phases. */
export interface FaultStart extends Base {
  type: 'fault.start';
  step: string;
  kind: string;
  target: string;
  /** When injecting began (run clock, ms), if before `t`: until `t` it is unknown whether the fault was in effect. */
  asked?: number;
}
export interface FaultEnd extends Base {
  type: 'fault.end';
  step: string;
}
/**
 * A fault asked for that never took effect (every eviction blocked by a PodDisruptionBudget
 * until its window closed): no window opens, "during" gates have nothing to judge, and the run
 * cannot pass.
 */
export interface FaultIneffective extends Base {
  type: 'fault.ineffective';
  step: string;
  kind: string;
  target: string;
  reason: string;
}

/** A notable moment on the timeline (release promoted, canary weight changed, ...). */
export interface MarkEvent extends Base {
  type: 'mark';
  step: string;
  label: string;
  data?: Record<string, unknown>;
}

/**
 * A change to a cluster or the world, journaled (durably) BEFORE it is made. `revert` is data,
 * so that a later process can undo it after a crash.
 */
export interface ChangeIntent extends Base {
  type: 'change.intent';
  id: string;
  step: string;
  description: string;
  revert: RevertSpec;
}
export interface ChangeApplied extends Base {
  type: 'change.applied';
  id: string;
}
export interface ChangeReverted extends Base {
  type: 'change.reverted';
  id: string;
  /** true when there was nothing left to undo (e.g. 404). */
  noop?: boolean;
}
export interface ChangeRevertFailed extends Base {
  type: 'change.revert-failed';
  id: string;
  error: string;
}

/** Data describing how to undo a change, interpreted by a reverter registered under `kind`. */
export interface RevertSpec {
  kind: string;
  [key: string]: unknown;
}

/**
 * A child process Gauntlet started (k6, a probe helper), journaled before it runs, so that
 * `recover` can stop one that outlived a crashed run: pid plus the kernel's start time
 * (field 22 of /proc/<pid>/stat, clock ticks since boot) tell it from a reused pid.
 */
export interface ProcessStart extends Base {
  type: 'process.start';
  step: string;
  pid: number;
  startTicks?: number;
  command: string;
}
export interface ProcessEnd extends Base {
  type: 'process.end';
  step: string;
  pid: number;
}

export interface LogEvent extends Base {
  type: 'log';
  level: 'info' | 'warn' | 'error';
  step?: string;
  msg: string;
}

export type JournalEvent =
  | RunStart
  | RunEnd
  | StepStart
  | StepEnd
  | SampleEvent
  | WindowEvent
  | FigureEvent
  | FaultStart
  | FaultEnd
  | FaultIneffective
  | MarkEvent
  | ChangeIntent
  | ChangeApplied
  | ChangeReverted
  | ChangeRevertFailed
  | ProcessStart
  | ProcessEnd
  | LogEvent;

export type EventType = JournalEvent['type'];

/** What a writer supplies: the journal stamps v, seq, t and wall. */
export type NewEvent = JournalEvent extends infer E
  ? E extends JournalEvent
    ? Omit<E, 'v' | 'seq' | 't' | 'wall'> & { t?: number }
    : never
  : never;
