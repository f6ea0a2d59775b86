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
import { ExitCode, type UnrevertedChange } from '../core/errors.ts';
import type { JournalEvent, Provenance, RunStatus } from '../core/events.ts';
import { evaluateGate, evaluateGates, type Verdict } from '../core/gates.ts';
import { Journal, RunClock } from '../core/journal.ts';
import type { GauntletOptions } from '../core/options.ts';
import { exec, sleep } from '../core/proc.ts';
import { toolVersion } from '../core/version.ts';
import type { Scenario, Step } from '../core/scenario.ts';
import { stepKind, type StepContext } from '../core/steps.ts';
import { redact } from '../reports/redact.ts';
import { unfinishedRuns } from './unfinished.ts';
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

async function toolVersions(s: Scenario, o: GauntletOptions, k?: import('../core/kube.ts').Kube): Promise<Record<string, string>> {
  const tools: Record<string, string> = {};
  const kinds = new Set(s.steps.map((st) => st.kind));
  for (const kind of kinds) {
    try {
      Object.assign(tools, await stepKind(kind)?.tools?.(o));
    } catch {
      // A missing tool is reported by the step itself, with its install hint.
    }
  }
  if (k) {
    const v = await k.serverVersion().catch(() => undefined);
    if (v) tools['kubernetes'] = v;
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

export async function runScenario(ro: RunOptions): Promise<RunResult> {
  const { scenario, options } = ro;
  const runId = ro.runId ?? newRunId(scenario.name);
  for (const dir of unfinishedRuns(options.reportDir)) {
    options.progress(`warning: run ${dir} has no end record (crashed, or still running) and may have left changes: gauntlet recover ${dir}`);
  }
  const runDir = resolve(options.reportDir, runId);
  mkdirSync(runDir, { recursive: true });
  const clock = new RunClock();
  const journal = Journal.create(join(runDir, 'journal.ndjson'), clock);
  const events: JournalEvent[] = [];
  journal.subscribe((e) => events.push(e));

  const needsCluster = scenario.steps.some((s) => stepKind(s.kind)?.needsCluster);
  let kubeP: Promise<import('../core/kube.ts').Kube> | undefined;
  const kube = () =>
    (kubeP ??= import('../core/kube.ts').then((m) =>
      m.connect({ ...options, context: scenario.target.context ?? options.context, namespace: scenario.target.namespace ?? options.namespace }),
    ));
  let kubeInfo: Provenance['kube'];
  let k: import('../core/kube.ts').Kube | undefined;
  if (needsCluster) {
    k = await kube();
    kubeInfo = { context: k.context, server: k.server, namespace: k.namespace };
    options.progress(`using context ${k.context} (${k.server}), namespace ${k.namespace}`);
  }
  const tools = await toolVersions(scenario, options, k);

  journal.appendDurable({
    type: 'run.start',
    runId,
    scenario: redact(scenario),
    provenance: await provenance(scenario, options, kubeInfo, tools),
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
  await Promise.all(scenario.steps.map(runStep));
  clearTimeout(hardStop);
  if (gateTimer) clearInterval(gateTimer);
  ro.signal?.removeEventListener('abort', onExternal);

  const unreverted = await changes.revertAll();
  journal.appendDurable({ type: 'run.end', status, ...(reason ? { reason } : {}) });
  journal.close();

  const verdict = evaluateGates(events, scenario.gates);
  let reportFiles: string[] = [];
  try {
    const reports = await import('../reports/index.ts');
    reportFiles = (await reports.writeReports(runDir, events, { githubStepSummary: options.githubStepSummary })).files;
  } catch (e) {
    options.progress(`reports not written: ${(e as Error).message}`);
  }
  const exitCode = unreverted.length
    ? ExitCode.RevertFailed
    : status === 'interrupted'
      ? ExitCode.Interrupted
      : status === 'error'
        ? ExitCode.Infra
        : verdict.verdict === 'pass'
          ? ExitCode.Pass
          : ExitCode.GateFailed;
  return { runId, runDir, status, verdict, exitCode, unreverted, reportFiles, events };
}

