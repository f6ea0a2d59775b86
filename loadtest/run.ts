/**
 * Run k6 for one step: pick the binary, check the script, drive it with the profile and the
 * gates, and journal a window per second, stage and version while it runs.
 */
import { addToSecond, newSecond, type SecondBucket } from '../core/seconds.ts';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InfraError, InputError } from '../core/errors.ts';
import type { WindowEvent } from '../core/events.ts';
import { formatValue, type GateSpec } from '../core/gates.ts';
import { Histogram } from '../core/histogram.ts';
import type { Journal } from '../core/journal.ts';
import type { GauntletOptions } from '../core/options.ts';
import { writeEntry } from './entry.ts';
import { findK6, inspectScript, remoteWriteEnv, runK6, type K6Binary } from './k6.ts';
import { startReceiver } from './receiver.ts';
import { reconcile, readSummaryTotals } from './reconcile.ts';
import { PushDiffer, type Window } from './windows.ts';
import { DEFAULT_SIZING, requestsBetween, stagesOf, toK6Scenarios, totalDuration, type Profile, type Stage, type VuSizing } from './profiles.ts';
import { gatesToThresholds, HTTP_METRICS, thresholdsToGates, type K6Thresholds, type RequestMetrics } from './thresholds.ts';

/** The built-in script ships as source (k6 strips its types); from dist/, look in the package's loadtest/. */
export const BUILTIN_SCRIPT = [new URL('./scripts/http.ts', import.meta.url), new URL('../../loadtest/scripts/http.ts', import.meta.url)]
  .map((u) => fileURLToPath(u))
  .find((p) => existsSync(p))!;
export const BUILTIN_REQUEST_METRICS: RequestMetrics = { duration: 'gauntlet_req', failed: 'gauntlet_req_failed', reqs: 'http_reqs' };

/** k6 pushes every 250 ms (measured to arrive within ~0.3 s); a second closes 400 ms after it ended. */
export const PUSH_INTERVAL_MS = 250;
export const WINDOW_GRACE_MS = 400;
/** The system tags the windows read; a script's thresholds may need more (systemTagsFor). */
export const BASE_SYSTEM_TAGS = ['scenario', 'status', 'error_code', 'expected_response'] as const;
const K6_SYSTEM_TAG_NAMES = new Set(['proto', 'subproto', 'status', 'method', 'url', 'name', 'group', 'check', 'error', 'error_code', 'tls_version', 'scenario', 'service', 'expected_response', 'ip', 'ocsp_status']);

/** The base tags plus every system tag a threshold selects on (`http_req_duration{name:x}`), so narrowing never starves a threshold. */
export function systemTagsFor(thresholds: Record<string, unknown>): string[] {
  const tags = new Set<string>(BASE_SYSTEM_TAGS);
  for (const key of Object.keys(thresholds)) {
    const sel = /\{(.*)\}\s*$/.exec(key)?.[1];
    for (const pair of sel ? sel.split(',') : []) {
      const t = pair.split(':')[0]!.trim();
      if (K6_SYSTEM_TAG_NAMES.has(t)) tags.add(t);
    }
  }
  return [...tags];
}

/** The remote-write name of a k6 trend of times: k6_<name>_seconds. */
const durationSeries = (metric: string) => `k6_${metric}_seconds`;

export interface LoadSpec {
  /** A k6 script (TS or JS); or `url` for the built-in GET script. */
  script?: string;
  url?: string;
  /** Drives the run's arrival rate; without one the script's own options do. */
  profile?: Profile;
  sizing?: Partial<VuSizing>;
  /** Gates to hand k6 as thresholds (a hard gate aborts k6 itself). */
  gates?: readonly GateSpec[];
  /** Extra raw k6 thresholds. */
  thresholds?: K6Thresholds;
  /** Environment for the script (__ENV). */
  env?: Record<string, string>;
}

export interface LoadContext {
  step: string;
  journal: Journal;
  options: GauntletOptions;
  /** Directory for the generated entry script (the run directory). */
  workDir: string;
  signal?: AbortSignal;
  /** Run-clock ms by which k6 must have stopped. */
  deadline?: number;
  progress?: (line: string) => void;
  /** Each window as it is journaled (live verdicts). */
  onWindow?: (w: WindowEvent) => void;
}

export interface LoadOutcome {
  k6: K6Binary;
  exitCode: number | null;
  /** k6 reported failed thresholds (exit 99). */
  thresholdsFailed: boolean;
  /** Stopped early by the signal or the deadline. */
  stopped: boolean;
  /** The script's own k6 thresholds, as gates. */
  scriptGates: GateSpec[];
  /** Gates or thresholds one side could not express. */
  unmapped: Array<{ gate: string; why: string }>;
  stages: Stage[];
  /** Load start on the run clock (first k6 sample), ms. */
  loadStart?: number;
  requests: number;
  failures: number;
}

/** A k6/esbuild compile message as an input issue at its file:line:column. */
export function compileIssue(script: string, message: string): InputError {
  const clean = message.replace(/^time="[^"]*" level=\w+ msg="?/gm, '').replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/"+$/gm, '');
  const m = /(?:file:\/\/)?([^\s:"]+\.[cm]?[jt]s)(?::|", line |: Line )(\d+):(\d+)/.exec(clean) ?? /Line (\d+):(\d+)/.exec(clean);
  const line = m ? Number(m.length === 4 ? m[2] : m[1]) : undefined;
  const column = m ? Number(m.length === 4 ? m[3] : m[2]) : undefined;
  const first = clean.split('\n').find((l) => l.trim()) ?? clean;
  return new InputError([{ file: script, ...(line ? { line, column } : {}), path: '', message: `k6 cannot load the script: ${first.trim()}` }]);
}

export function reachable(url: string, timeoutMs = 3000): Promise<string | undefined> {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return new Promise((done) => {
    const s = connect({ host, port, timeout: timeoutMs });
    s.once('connect', () => (s.destroy(), done(undefined)));
    s.once('timeout', () => (s.destroy(), done(`${host}:${port}: timed out after ${timeoutMs} ms`)));
    s.once('error', (e: NodeJS.ErrnoException) => done(`${host}:${port}: ${e.code ?? e.message}`));
  });
}

export async function runK6Step(spec: LoadSpec, ctx: LoadContext): Promise<LoadOutcome> {
  if (!spec.script === !spec.url) throw new InputError([{ file: '<load>', path: 'script', message: 'give exactly one of script or url' }]);
  const bin = await findK6(ctx.options);
  const metrics = spec.url ? BUILTIN_REQUEST_METRICS : HTTP_METRICS;
  const script = spec.url ? BUILTIN_SCRIPT : resolve(spec.script!);
  const env: Record<string, string | undefined> = { ...ctx.options.env, ...spec.env, K6_NO_USAGE_REPORT: 'true' };
  if (spec.url) {
    env.GAUNTLET_URL = spec.url;
    const why = await reachable(spec.url);
    if (why) throw new InfraError(`load target unreachable: ${why}`, { hint: `is the service listening at ${spec.url}?` });
  }

  const inspected = await inspectScript(bin, script, env);
  if (!inspected.ok) throw compileIssue(script, inspected.message);
  const scriptThresholds = (inspected.options.thresholds as Record<string, unknown>) ?? {};
  const own = thresholdsToGates(scriptThresholds, ctx.step, metrics);
  const mapped = gatesToThresholds(spec.gates ?? [], metrics);

  const stages = spec.profile ? stagesOf(spec.profile) : [];
  const sizing = { ...DEFAULT_SIZING, ...spec.sizing };
  const thresholds: K6Thresholds = { ...mapped.thresholds };
  for (const [k, v] of Object.entries(spec.thresholds ?? {})) thresholds[k] = [...(thresholds[k] ?? []), ...v];
  const entry = writeEntry(ctx.workDir, script, {
    ...(stages.length ? { scenarios: toK6Scenarios(stages, sizing) } : {}),
    ...(Object.keys(thresholds).length ? { thresholds } : {}),
  });

  const { journal, step } = ctx;
  const clock = journal.clock;
  const differ = new PushDiffer({ durationMetric: durationSeries(metrics.duration), graceMs: WINDOW_GRACE_MS });
  let loadStart: number | undefined;
  let loadEnd: number | undefined;
  let spawnedAt = Date.now();
  let badPushes = 0;
  const receiver = await startReceiver({
    onPush: (series, receivedAt) => {
      if (loadStart === undefined && series.length) {
        // k6 starts its push ticker with the test: the first push comes one interval in.
        loadStart = Math.max(spawnedAt, receivedAt - PUSH_INTERVAL_MS) - clock.epochMs;
        journal.append({ type: 'mark', step, label: 'load started', t: loadStart });
      }
      differ.push(series);
      for (const w of differ.close(Date.now())) journalWindow(w);
    },
    onError: (e) => {
      if (badPushes++ === 0) journal.append({ type: 'log', level: 'warn', step, msg: `unreadable k6 remote-write push (the next one recovers it): ${e.message}` });
    },
  });
  const summaryFile = join(ctx.workDir, `k6-summary-${step.replace(/[^\w.-]+/g, '_')}.json`);
  const systemTags = systemTagsFor({ ...scriptThresholds, ...thresholds });
  Object.assign(env, remoteWriteEnv(receiver.url, PUSH_INTERVAL_MS, systemTags));
  ctx.progress?.(`k6: ${bin.path} (${bin.versionText})`);
  journal.append({ type: 'mark', step, label: 'k6 started', data: { k6: bin.version, path: bin.path, versionText: bin.versionText, channel: 'experimental-prometheus-rw', pushIntervalMs: PUSH_INTERVAL_MS, systemTags, script, stages: stages.map((s) => s.name) } });

  const stop = new AbortController();
  const onAbort = () => stop.abort();
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  const deadlineTimer = ctx.deadline !== undefined ? setTimeout(onAbort, Math.max(0, ctx.deadline - clock.now())) : undefined;

  const targeted = new Set<string>();
  const live = new LiveProgress(ctx.progress, stages.length ? totalDuration(stages) : undefined, ctx.options.liveProgress ? 1 : 10);
  const journalWindow = (w: Window) => {
    // Windows are wall-clock seconds; the first starts when the load did, the last ends with it.
    const end = Math.max(w.sec * 1000 + 1 - clock.epochMs, Math.min(w.sec * 1000 + 1000 - clock.epochMs, loadEnd ?? Infinity));
    const start = Math.min(end - 1, Math.max(w.sec * 1000 - clock.epochMs, loadStart ?? 0));
    let targetRate: number | undefined;
    const stage = stages.find((s) => s.name === w.stage);
    const key = `${w.sec}/${w.stage}`;
    if (stage && loadStart !== undefined && !targeted.has(key)) {
      targeted.add(key);
      targetRate = Math.round((requestsBetween(stage, start - loadStart, end - loadStart) / ((end - start) / 1000)) * 1000) / 1000;
    }
    const labels: Record<string, string> = {};
    if (w.stage) labels.stage = w.stage;
    if (w.version) labels.version = w.version;
    const e = journal.append({
      type: 'window',
      step,
      start,
      end,
      labels,
      requests: w.requests,
      failures: w.failures,
      ...(w.failures ? { causes: w.causes } : {}),
      latency: w.latency.toJSON(),
      ...(targetRate !== undefined ? { targetRate } : {}),
      ...(w.dropped ? { dropped: w.dropped } : {}),
    }) as WindowEvent;
    live.add(e, loadStart);
    ctx.onWindow?.(e);
  };
  const ticker = setInterval(() => {
    for (const w of differ.close(Date.now())) journalWindow(w);
  }, 100);

  let exit;
  try {
    spawnedAt = Date.now();
    exit = await runK6({
      bin,
      args: ['run', '--quiet', '--no-color', '--address', '', '--summary-export', summaryFile, '--out', 'experimental-prometheus-rw', entry],
      env,
      cwd: ctx.workDir,
      signal: stop.signal,
      onSpawn: (p) => journal.append({ type: 'process.start', step, pid: p.pid, ...(p.startTicks !== undefined ? { startTicks: p.startTicks } : {}), command: p.command }),
    });
    if (exit.pid !== undefined) journal.append({ type: 'process.end', step, pid: exit.pid });
  } finally {
    clearInterval(ticker);
    ctx.signal?.removeEventListener('abort', onAbort);
    if (deadlineTimer) clearTimeout(deadlineTimer);
    await receiver.close();
  }
  if (differ.lastSampleMs !== undefined) loadEnd = differ.lastSampleMs - clock.epochMs;
  for (const w of differ.end()) journalWindow(w);
  live.flush(loadStart);
  const { requests, failures } = differ.totals;

  const unreachable = exit.stderrTail.map((l) => /dial tcp ([^:\s]+:\d+): connect: connection refused/.exec(l)?.[1]).find(Boolean);
  if (requests > 0 && failures === requests && unreachable) {
    throw new InfraError(`load target unreachable: ${unreachable}: connection refused (every request failed)`);
  }
  const ok = exit.code === 0 || exit.code === 99 || exit.stopped;
  if (!ok) {
    const tail = exit.stderrTail.slice(-8).join('\n  ');
    throw new InfraError(`k6 exited with code ${exit.code ?? exit.signal}${tail ? `:\n  ${tail}` : ''}`);
  }
  const summary = readSummaryTotals(summaryFile);
  const r = reconcile(differ.totals, summary);
  journal.append({ type: 'mark', step, label: 'k6 totals', data: { windows: differ.totals, ...(summary ? { summary } : {}), ...(r.mismatch ? { mismatch: r.mismatch } : {}), pushes: receiver.pushes(), restarts: differ.restarts, late: differ.late } });
  if (r.message) journal.append({ type: 'log', level: 'warn', step, msg: r.message });
  journal.append({ type: 'mark', step, label: 'k6 stopped', data: { exitCode: exit.code, stopped: exit.stopped, requests, failures } });
  return {
    k6: bin,
    exitCode: exit.code,
    thresholdsFailed: exit.code === 99,
    stopped: exit.stopped,
    scriptGates: own.gates,
    unmapped: [...own.unmapped, ...mapped.unmapped],
    stages,
    ...(loadStart !== undefined ? { loadStart } : {}),
    requests,
    failures,
  };
}

/**
 * A progress line per second of load (every 10 s when stderr is not a terminal, and whenever a
 * second had errors or dropped iterations): rate achieved vs asked, errors, p99, dropped.
 */
class LiveProgress {
  private sec: number | undefined;
  private b: SecondBucket | undefined;
  private readonly print: ((line: string) => void) | undefined;
  private readonly total: number | undefined;
  private readonly every: number;
  constructor(print: ((line: string) => void) | undefined, total: number | undefined, every = 1) {
    this.print = print;
    this.total = total;
    this.every = every;
  }
  add(e: WindowEvent, loadStart: number | undefined): void {
    if (this.sec !== undefined && e.start !== this.sec) this.flush(loadStart);
    this.sec = e.start;
    addToSecond((this.b ??= newSecond(e.start)), e);
  }
  flush(loadStart: number | undefined): void {
    const b = this.b;
    if (this.sec === undefined || !b || !this.print) return;
    const t = Math.max(0, Math.round((this.sec - (loadStart ?? this.sec)) / 1000));
    const of = this.total ? `/${Math.round(this.total / 1000)}s` : 's';
    const rate = b.target ? `${b.requests}/${Math.round(b.target)} req/s` : `${b.requests} req/s`;
    const p99 = b.latency.quantile(0.99);
    const parts = [`load ${t}${of}`, b.stages.join('+') || '-', rate, `err ${formatValue(b.requests ? b.failures / b.requests : 0, 'ratio')}`];
    if (p99 !== undefined) parts.push(`p99 ${formatValue(p99, 'ms')}`);
    if (b.dropped) parts.push(`dropped ${b.dropped}`);
    const last = this.total !== undefined && t + 1 >= Math.round(this.total / 1000);
    if (t % this.every === 0 || b.failures || b.dropped || last) this.print(parts.join('  '));
    this.sec = undefined;
    this.b = undefined;
  }
}
