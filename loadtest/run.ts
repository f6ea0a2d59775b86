/**
 * Run k6 for one step: pick the binary, check the script, drive it with the profile and the
 * gates, and journal a window per second, stage and version while it runs.
 */
import { addToSecond, newSecond, type SecondBucket } from '../core/seconds.ts';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InfraError, InputError } from '../core/errors.ts';
import type { WindowEvent } from '../core/events.ts';
import { formatValue, type GateSpec } from '../core/gates.ts';
import { Histogram } from '../core/histogram.ts';
import type { Journal } from '../core/journal.ts';
import type { GauntletOptions } from '../core/options.ts';
import { gauntletParser, histogramOf, jsonParser, type ChannelParser, type WindowLine } from './channel.ts';
import { writeEntry } from './entry.ts';
import { findK6, inspectScript, runK6, type K6Binary } from './k6.ts';
import { DEFAULT_SIZING, requestsBetween, stagesOf, toK6Scenarios, totalDuration, type Profile, type Stage, type VuSizing } from './profiles.ts';
import { gatesToThresholds, HTTP_METRICS, thresholdsToGates, type K6Thresholds, type RequestMetrics } from './thresholds.ts';

/** The built-in script ships as source (k6 strips its types); from dist/, look in the package's loadtest/. */
export const BUILTIN_SCRIPT = [new URL('./scripts/http.ts', import.meta.url), new URL('../../loadtest/scripts/http.ts', import.meta.url)]
  .map((u) => fileURLToPath(u))
  .find((p) => existsSync(p))!;
export const BUILTIN_REQUEST_METRICS: RequestMetrics = { duration: 'gauntlet_req', failed: 'gauntlet_req_failed', reqs: 'http_reqs' };

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
  /** Which channel carried live metrics. */
  channel: 'gauntlet' | 'json';
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
  env.K6_GAUNTLET_METRICS = `${metrics.duration},${metrics.failed}`;

  const inspected = await inspectScript(bin, script, env);
  if (!inspected.ok) throw compileIssue(script, inspected.message);
  const own = thresholdsToGates((inspected.options.thresholds as Record<string, unknown>) ?? {}, ctx.step, metrics);
  const mapped = gatesToThresholds(spec.gates ?? [], metrics);

  const stages = spec.profile ? stagesOf(spec.profile) : [];
  const sizing = { ...DEFAULT_SIZING, ...spec.sizing };
  const thresholds: K6Thresholds = { ...mapped.thresholds };
  for (const [k, v] of Object.entries(spec.thresholds ?? {})) thresholds[k] = [...(thresholds[k] ?? []), ...v];
  const entry = writeEntry(ctx.workDir, script, {
    ...(stages.length ? { scenarios: toK6Scenarios(stages, sizing) } : {}),
    ...(Object.keys(thresholds).length ? { thresholds } : {}),
  });

  // GAUNTLET_K6_CHANNEL=json forces the stock channel (for measuring it, and for testing the fallback).
  const channel = bin.gauntletOutput && ctx.options.env.GAUNTLET_K6_CHANNEL !== 'json' ? 'gauntlet' : 'json';
  const parser: ChannelParser = channel === 'gauntlet' ? gauntletParser() : jsonParser(metrics);
  // Node's stdio pipes are sockets: our output takes the inherited fd; stock json writes to stdout.
  const out = channel === 'gauntlet' ? 'gauntlet=fd:3' : 'json=-';
  const { journal, step } = ctx;
  const clock = journal.clock;
  journal.append({ type: 'mark', step, label: 'k6 started', data: { k6: bin.version, path: bin.path, channel, script, stages: stages.map((s) => s.name) } });

  const stop = new AbortController();
  const onAbort = () => stop.abort();
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  const deadlineTimer = ctx.deadline !== undefined ? setTimeout(onAbort, Math.max(0, ctx.deadline - clock.now())) : undefined;

  let loadStart: number | undefined;
  let loadEnd: number | undefined;
  let requests = 0;
  let failures = 0;
  const targeted = new Set<string>();
  const live = new LiveProgress(ctx.progress, stages.length ? totalDuration(stages) : undefined, ctx.options.liveProgress ? 1 : 10);
  const journalWindow = (w: WindowLine) => {
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
    requests += w.n;
    failures += w.fail;
    const e = journal.append({
      type: 'window',
      step,
      start,
      end,
      labels,
      requests: w.n,
      failures: w.fail,
      latency: histogramOf(w),
      ...(targetRate !== undefined ? { targetRate } : {}),
      ...(w.dropped ? { dropped: w.dropped } : {}),
    }) as WindowEvent;
    live.add(e, loadStart);
    ctx.onWindow?.(e);
  };
  const handle = (line: string) => {
    for (const m of parser.push(line)) {
      if (m.kind === 'start') {
        loadStart = m.epochMs - clock.epochMs;
        journal.append({ type: 'mark', step, label: 'load started', t: loadStart });
      } else if (m.kind === 'end') loadEnd = m.epochMs - clock.epochMs;
      else journalWindow(m.window);
    }
  };

  let exit;
  try {
    exit = await runK6({
      bin,
      args: ['run', '--quiet', '--no-color', '--address', '', ...(channel === 'json' ? ['--summary-mode', 'disabled'] : []), '--out', out, entry],
      metricsFrom: channel === 'gauntlet' ? 'fd3' : 'stdout',
      env,
      cwd: ctx.workDir,
      signal: stop.signal,
      onMetrics: (line) => {
        try {
          handle(line);
        } catch (e) {
          journal.append({ type: 'log', level: 'warn', step, msg: `unreadable k6 metrics line: ${(e as Error).message}` });
        }
      },
    });
  } finally {
    ctx.signal?.removeEventListener('abort', onAbort);
    if (deadlineTimer) clearTimeout(deadlineTimer);
  }
  for (const m of parser.end()) {
    if (m.kind === 'end') loadEnd = m.epochMs - clock.epochMs;
    else if (m.kind === 'window') journalWindow(m.window);
  }
  live.flush(loadStart);

  const unreachable = exit.stderrTail.map((l) => /dial tcp ([^:\s]+:\d+): connect: connection refused/.exec(l)?.[1]).find(Boolean);
  if (requests > 0 && failures === requests && unreachable) {
    throw new InfraError(`load target unreachable: ${unreachable}: connection refused (every request failed)`);
  }
  const ok = exit.code === 0 || exit.code === 99 || exit.stopped;
  if (!ok) {
    const tail = exit.stderrTail.slice(-8).join('\n  ');
    throw new InfraError(`k6 exited with code ${exit.code ?? exit.signal}${tail ? `:\n  ${tail}` : ''}`);
  }
  journal.append({ type: 'mark', step, label: 'k6 stopped', data: { exitCode: exit.code, stopped: exit.stopped, requests, failures } });
  return {
    k6: bin,
    channel,
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
