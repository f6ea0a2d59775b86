/**
 * The runner: executes a scenario's steps concurrently on one clock, journals everything,
 * stops cleanly (reverting every change) on a signal, a hard gate or the maximum duration,
 * and derives the verdict and reports from the journal.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ChangeLedger } from '../core/changes.ts';
import { ExitCode, runExitCode, type UnrevertedChange } from '../core/errors.ts';
import type { JournalEvent, Provenance, RunStatus } from '../core/events.ts';
import { evaluateGate, runVerdict, type GateSpec, type Verdict } from '../core/gates.ts';
import { Journal, RunClock } from '../core/journal.ts';
import type { GauntletOptions } from '../core/options.ts';
import { exec, sleep } from '../core/proc.ts';
import { toolVersion } from '../core/version.ts';
import type { Scenario, Step } from '../core/scenario.ts';
import { stepKind, type StepContext } from '../core/steps.ts';
import { redact } from '../core/redact.ts';
import { acquireRunLock } from '../core/runlock.ts';
import { unfinishedRuns } from './unfinished.ts';
import { heartbeat } from './progress.ts';
import './kinds.ts';

/** Time allowed after the scenario's duration for steps to stop and changes to revert. */
const STOP_GRACE_MS = 30_000;

export interface RunOptions {
  scenario: Scenario;
  options: GauntletOptions;
  /** External stop (Ctrl-C): the runner reverts and reports `interrupted`. */
  signal?: AbortSignal;
  runId?: string;
}

export interface RunResult {
  runId: string;
  runDir: string;
  status: RunStatus;
  verdict: Verdict;
  exitCode: number;
  unreverted: UnrevertedChange[];
  reportFiles: string[];
  events: JournalEvent[];
}

export function newRunId(name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${name}-${randomBytes(2).toString('hex')}`;
}

async function gitInfo(file: string): Promise<{ commit: string; dirty: boolean } | undefined> {
  const dir = dirname(resolve(file));
  try {
    const head = await exec(['git', '-C', dir, 'rev-parse', 'HEAD'], { timeoutMs: 5000 });
    if (head.code !== 0) return undefined;
    const st = await exec(['git', '-C', dir, 'status', '--porcelain', '--', resolve(file)], { timeoutMs: 5000 });
    return { commit: head.stdout.trim(), dirty: st.stdout.trim() !== '' };
  } catch {
    return undefined;
  }
}

async function toolVersions(s: Scenario, o: GauntletOptions): Promise<Record<string, string>> {
  const tools: Record<string, string> = {};
  const kinds = new Set(s.steps.map((st) => st.kind));
  for (const kind of kinds) {
    try {
      Object.assign(tools, await stepKind(kind)?.tools?.(o));
    } catch {
      // A missing tool is reported by the step itself, with its install hint.
    }
  }
  return tools;
}

async function provenance(s: Scenario, o: GauntletOptions, kube: Provenance['kube'], tools: Record<string, string>): Promise<Provenance> {
  let sha = '';
  try {
    sha = createHash('sha256').update(readFileSync(s.file)).digest('hex');
  } catch {
    sha = 'in-memory';
  }
  const git = await gitInfo(s.file);
  return {
    tool: { name: 'gauntlet', version: toolVersion() },
    node: process.version,
    tools,
    scenario: { file: s.file, name: s.name, sha256: sha, ...(git ? { git } : {}) },
    ...(kube ? { kube } : {}),
    seed: s.seed,
    host: hostname(),
  };
}

/** Occurrence windows of a step on the run clock: [start, end) pairs, bounded by the scenario. */
export function occurrences(step: Step, scenarioMs: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const period = step.every;
  for (let start = step.at; start < scenarioMs; start += period ?? Infinity) {
    const end = Math.min(scenarioMs, step.duration !== undefined ? start + step.duration : period ? start + period : scenarioMs);
    out.push([start, end]);
    if (!period || out.length >= 10_000) break;
  }
  return out;
}

/** Every gate of the run: the scenario's, then those steps bring (k6 script thresholds); the first of a name per step wins. */
export async function resolveGates(scenario: Scenario, options: GauntletOptions): Promise<GateSpec[]> {
  const gates = [...scenario.gates];
  for (const step of scenario.steps) {
    const more = (await stepKind(step.kind)?.gates?.(step, scenario, options)) ?? [];
    for (const g of more) if (!gates.some((x) => x.name === g.name && x.step === g.step)) gates.push(g);
  }
  return gates;
}

export async function runScenario(ro: RunOptions): Promise<RunResult> {
  const { options } = ro;
  // Everything that can fail on input or on the world is resolved before the run directory
  // exists: a run that cannot start leaves nothing behind to recover.
  const needsCluster = ro.scenario.steps.some((s) => stepKind(s.kind)?.needsCluster);
  let kubeP: Promise<import('../core/kube.ts').Kube> | undefined;
  const kube = () =>
    (kubeP ??= import('../core/kube.ts').then((m) =>
      m.connect({ ...options, context: ro.scenario.target.context ?? options.context, namespace: ro.scenario.target.namespace ?? options.namespace }),
    ));
  let kubeInfo: Provenance['kube'];
  let k: import('../core/kube.ts').Kube | undefined;
  let serverVersion: string | undefined;
  if (needsCluster) {
    k = await kube();
    // Preflight: an unreachable cluster is an infrastructure error now, before any step starts.
    serverVersion = await k.serverVersion();
    kubeInfo = { context: k.context, server: k.server, namespace: k.namespace, kubeconfig: k.kubeconfig };
    options.progress(`using context ${k.context} (${k.server}), namespace ${k.namespace}`);
  }
  // One gate set, journaled in run.start: the verdict and every report are judged by it.
  const scenario: Scenario = { ...ro.scenario, gates: await resolveGates(ro.scenario, options) };
  const tools = await toolVersions(scenario, options);
  if (serverVersion) tools['kubernetes'] = serverVersion;
  const prov = await provenance(scenario, options, kubeInfo, tools);

  const runId = ro.runId ?? newRunId(scenario.name);
  for (const dir of unfinishedRuns(options.reportDir)) {
    options.progress(`warning: run ${dir} has no end record (it crashed) and may have left changes: gauntlet recover ${dir}`);
  }
  const runDir = resolve(options.reportDir, runId);
  mkdirSync(runDir, { recursive: true });
  const lock = acquireRunLock(runDir);
  const clock = new RunClock();
  const journal = Journal.create(join(runDir, 'journal.ndjson'), clock);
  const events: JournalEvent[] = [];
  journal.subscribe((e) => events.push(e));

  journal.appendDurable({
    type: 'run.start',
    runId,
    scenario: redact(scenario),
    provenance: prov,
    epochMs: clock.epochMs,
  });

  const stop = new AbortController();
  let status = 'completed' as RunStatus;
  let reason: string | undefined;
  const halt = (s: RunStatus, why: string) => {
    if (stop.signal.aborted) return;
    status = s;
    reason = why;
    options.progress(`stopping: ${why}`);
    stop.abort(why);
  };
  const onExternal = () => halt('interrupted', 'interrupted by signal');
  if (ro.signal?.aborted) onExternal();
  ro.signal?.addEventListener('abort', onExternal, { once: true });
  const hardStop = setTimeout(() => halt('timeout', `maximum duration ${scenario.duration + STOP_GRACE_MS} ms reached`), scenario.duration + STOP_GRACE_MS);

  // Hard gates are evaluated live, once a second, on the events so far.
  const hard = scenario.gates.filter((g) => g.abortOnFail);
  const gateTimer = hard.length
    ? setInterval(() => {
        for (const g of hard) if (evaluateGate(events, g).verdict === 'fail') halt('aborted', `gate ${g.name} failed`);
      }, 1000)
    : undefined;

  const changes = new ChangeLedger(journal, { kube });
  const runStep = async (step: Step) => {
    const impl = stepKind(step.kind)!;
    for (const [start, end] of occurrences(step, scenario.duration)) {
      if (!(await sleep(start - clock.now(), stop.signal))) return;
      journal.append({ type: 'step.start', step: step.id, kind: step.kind, section: step.section });
      const ctx: StepContext = {
        runId,
        step,
        scenario,
        journal,
        clock,
        signal: stop.signal,
        deadline: end,
        options,
        changes,
        runDir,
        kube,
        progress: (line) => options.progress(`[${(clock.now() / 1000).toFixed(1)}s] ${line}`),
      };
      try {
        await impl.run(ctx);
        journal.append({ type: 'step.end', step: step.id, ok: true });
      } catch (e) {
        const msg = (e as Error).message;
        journal.append({ type: 'step.end', step: step.id, ok: false, error: msg });
        options.progress(`step ${step.id} failed: ${msg}`);
        if ((e as { exitCode?: number }).exitCode === ExitCode.Infra) halt('error', msg);
      }
    }
  };

  options.progress(`run ${runId}: ${scenario.steps.length} step(s), up to ${Math.round(scenario.duration / 1000)}s`);
  // A line a person can follow the run by: time left, phase, steps running, the last second's traffic.
  const beat = setInterval(() => options.progress(heartbeat(events, clock.now(), scenario.duration)), options.liveProgress ? 5000 : 10_000);
  await Promise.all(scenario.steps.map(runStep));
  clearInterval(beat);
  clearTimeout(hardStop);
  if (gateTimer) clearInterval(gateTimer);
  ro.signal?.removeEventListener('abort', onExternal);

  const unreverted = await changes.revertAll();
  journal.appendDurable({ type: 'run.end', status, ...(reason ? { reason } : {}) });
  journal.close();
  lock.release();

  // The one verdict, from the journal (the same function the reports use).
  const verdict = runVerdict(events);
  let reportFiles: string[] = [];
  try {
    const reports = await import('../reports/index.ts');
    reportFiles = (await reports.writeReports(runDir, events, { githubStepSummary: options.githubStepSummary })).files;
  } catch (e) {
    options.progress(`reports not written: ${(e as Error).message}`);
  }
  const exitCode = runExitCode({ status, verdict: verdict.verdict, unreverted: unreverted.length });
  return { runId, runDir, status, verdict, exitCode, unreverted, reportFiles, events };
}

