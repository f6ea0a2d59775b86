/**
 * The library entry points: `runLoad` (any k6 script or a URL, under a profile), `surge`
 * (does the service hold N× its baseline?) and `capacitySearch` (the highest rate it
 * sustains). Each builds a one-step scenario in code and hands it to the scenario runner, so
 * the run directory, the journal and the reports are the same as for a scenario file.
 * Verdicts are results, never exceptions; bad input (InputError) and an unreachable target
 * or missing k6 (InfraError) are thrown before anything runs.
 */
import { resolve } from 'node:path';
import type { JournalEvent, MarkEvent } from '../core/events.ts';
import { formatValue, type GateSpec } from '../core/gates.ts';
import type { GauntletOptions } from '../core/options.ts';
import type { Scenario } from '../core/scenario.ts';
import type { RunResult } from './runner.ts';
import { findK6, inspectScript } from '../loadtest/k6.ts';
import { profileSchema, stagesOf, totalDuration, type Profile, type ProfileInput, type Stage } from '../loadtest/profiles.ts';
import { compileIssue, reachable } from '../loadtest/run.ts';
import { InfraError, InputError } from '../core/errors.ts';
import type { K6Params } from '../loadtest/step.ts';
import type { CapacityVerdict, Slo, SurgeVerdict } from '../loadtest/verdict.ts';
import { DEFAULT_SLO } from '../loadtest/verdict.ts';
import { thresholdsToGates } from '../loadtest/thresholds.ts';

export interface RunLoadOptions {
  options: GauntletOptions;
  /** A k6 script (TS or JS), or `url` for the built-in GET script. */
  script?: string;
  url?: string;
  profile?: ProfileInput;
  gates?: GateSpec[];
  slo?: Partial<Slo>;
  /** Expected service latency, ms: sizes the VU pool. */
  expectedLatencyMs?: number;
  env?: Record<string, string>;
  name?: string;
  signal?: AbortSignal;
  /** Internal: surge/capacity analysis. */
  analyze?: 'surge' | 'capacity';
  stopOnBreach?: boolean;
}

export interface LoadRunResult extends RunResult {
  /** The k6 script's own thresholds, now gates of this run. */
  scriptGates: GateSpec[];
}

/** Upper bound on a script-driven run without a profile. */
const NO_PROFILE_MAX_MS = 6 * 3_600_000;
const STEP_ID = 'load';

/**
 * A surge or capacity run is judged by its analysis (the figure the k6 step records), so its
 * report and exit code say what the analysis said instead of "no gates".
 */
function analysisGates(analyze: RunLoadOptions['analyze'], profile: Profile | undefined): GateSpec[] {
  if (analyze === 'surge' && profile?.kind === 'surge') return [{ name: `surge: holds ${profile.multiple}x baseline within the SLO`, metric: 'surgeMultipleHeld', step: STEP_ID, min: profile.multiple }];
  if (analyze === 'capacity') return [{ name: 'capacity: highest sustained rate measured', metric: 'capacityRps', step: STEP_ID }];
  return [];
}

/** A profile as users write it → the normalized one; bad values are an InputError at `profile.<field>`. */
export function parseProfile(input: ProfileInput): Profile {
  const r = profileSchema.safeParse(input);
  if (r.success) return r.data;
  throw new InputError(r.error.issues.map((i) => ({ file: '<load>', path: ['profile', ...i.path].join('.'), message: i.message })));
}

/** The SLO as gates of a run: p99 latency and error rate bounds. */
export function sloGates(slo: Partial<Slo>): GateSpec[] {
  const out: GateSpec[] = [];
  if (slo.p99Ms !== undefined) out.push({ name: `p99 ≤ ${formatValue(slo.p99Ms, 'ms')}`, metric: 'latency_p99', max: slo.p99Ms });
  if (slo.maxErrorRate !== undefined) out.push({ name: `error rate ≤ ${formatValue(slo.maxErrorRate, 'ratio')}`, metric: 'error_rate', max: slo.maxErrorRate });
  return out;
}

/** What a load command would do, without doing it (`--dry-run`). */
export interface LoadPlan {
  name: string;
  target?: string;
  script?: string;
  profile?: Profile;
  stages: Stage[];
  /** Length of the load, ms (0 when the script's own options drive it). */
  totalMs: number;
  gates: GateSpec[];
  /** The SLO a surge or capacity verdict judges against. */
  slo?: Slo;
}

export function loadPlan(o: Omit<RunLoadOptions, 'options' | 'signal'>): LoadPlan {
  const profile = o.profile ? parseProfile(o.profile) : undefined;
  const stages = profile ? stagesOf(profile) : [];
  return {
    name: o.name ?? 'load',
    ...(o.url ? { target: o.url } : { script: resolve(o.script!) }),
    ...(profile ? { profile } : {}),
    stages,
    totalMs: totalDuration(stages),
    gates: [...(o.gates ?? []), ...analysisGates(o.analyze, profile)],
    ...(o.analyze ? { slo: { ...DEFAULT_SLO, ...o.slo } } : {}),
  };
}

/** The one-step scenario a load run is. Pure: no k6, no files. */
export function loadRunScenario(o: Omit<RunLoadOptions, 'options' | 'signal'>, scriptGates: GateSpec[] = []): Scenario {
  const profile = o.profile ? parseProfile(o.profile) : undefined;
  const params: K6Params = {
    ...(o.script ? { script: resolve(o.script) } : { url: o.url! }),
    ...(profile ? { profile } : {}),
    ...(o.expectedLatencyMs ? { expectedLatency: o.expectedLatencyMs } : {}),
    ...(o.env ? { env: o.env } : {}),
    ...(o.slo ? { slo: { p99: o.slo.p99Ms ?? DEFAULT_SLO.p99Ms, errorRate: o.slo.maxErrorRate ?? DEFAULT_SLO.maxErrorRate } } : {}),
    ...(o.analyze ? { analyze: o.analyze } : {}),
    stopOnBreach: o.stopOnBreach ?? false,
  };
  const duration = profile ? totalDuration(stagesOf(profile)) + 60_000 : NO_PROFILE_MAX_MS;
  const file = o.script ? resolve(o.script) : '<load>';
  return {
    name: o.name ?? 'load',
    file,
    target: o.url ? { url: o.url } : {},
    duration,
    seed: 0,
    steps: [{ id: STEP_ID, kind: 'k6', section: 'load', at: 0, params, source: { file } }],
    gates: [...(o.gates ?? []), ...scriptGates, ...analysisGates(o.analyze, profile)],
  };
}

/** Fail before any run directory exists: no k6, a script that does not compile, a dead target. */
async function preflight(o: RunLoadOptions): Promise<GateSpec[]> {
  const bin = await findK6(o.options);
  if (o.url) {
    const why = await reachable(o.url);
    if (why) throw new InfraError(`load target unreachable: ${why}`, { hint: `is the service listening at ${o.url}?` });
    return [];
  }
  const script = resolve(o.script!);
  const r = await inspectScript(bin, script, { ...o.options.env, K6_NO_USAGE_REPORT: 'true' });
  if (!r.ok) throw compileIssue(script, r.message);
  return thresholdsToGates((r.options.thresholds as Record<string, unknown>) ?? {}, STEP_ID).gates;
}

export async function runLoad(o: RunLoadOptions): Promise<LoadRunResult> {
  const scriptGates = await preflight(o);
  const scenario = loadRunScenario(o, scriptGates);
  await import('../loadtest/step.ts');
  const { runScenario } = await import('./runner.ts');
  const r = await runScenario({ scenario, options: o.options, ...(o.signal ? { signal: o.signal } : {}) });
  return { ...r, scriptGates };
}

function analysisMark(events: readonly JournalEvent[], kind: 'surge' | 'capacity'): Record<string, unknown> | undefined {
  const m = events.find((e): e is MarkEvent => e.type === 'mark' && (e.data as { analysis?: string } | undefined)?.analysis === kind);
  return m?.data;
}

export interface SurgeOptions {
  options: GauntletOptions;
  target: string;
  baselineRps: number;
  /** Peak as a multiple of baseline; 3 = a 200% surge. */
  multiple?: number;
  warmup?: string | number;
  rampUp?: string | number;
  hold?: string | number;
  rampDown?: string | number;
  slo?: Partial<Slo>;
  expectedLatencyMs?: number;
  /** Keep loading after the SLO broke (default: stop a few seconds after). */
  continueAfterBreach?: boolean;
  signal?: AbortSignal;
}

export interface SurgeResult extends SurgeVerdict {
  run: LoadRunResult;
}

export function surgeProfile(o: Omit<SurgeOptions, 'options'>): ProfileInput {
  return {
    kind: 'surge',
    baseline: o.baselineRps,
    multiple: o.multiple ?? 3,
    ...(o.warmup !== undefined ? { warmup: o.warmup } : {}),
    ...(o.rampUp !== undefined ? { rampUp: o.rampUp } : {}),
    ...(o.hold !== undefined ? { hold: o.hold } : {}),
    ...(o.rampDown !== undefined ? { rampDown: o.rampDown } : {}),
  };
}

/** What `surge` would run. */
export function surgePlan(o: Omit<SurgeOptions, 'options'>): LoadPlan {
  return loadPlan({ url: o.target, profile: surgeProfile(o), name: 'surge', analyze: 'surge', ...(o.slo ? { slo: o.slo } : {}) });
}

/** Does the service hold `multiple`× its baseline? Ramp up, hold, ramp down. */
export async function surge(o: SurgeOptions): Promise<SurgeResult> {
  const run = await runLoad({
    options: o.options,
    url: o.target,
    profile: surgeProfile(o),
    name: 'surge',
    analyze: 'surge',
    stopOnBreach: !o.continueAfterBreach,
    ...(o.slo ? { slo: o.slo } : {}),
    ...(o.expectedLatencyMs ? { expectedLatencyMs: o.expectedLatencyMs } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const v = analysisMark(run.events, 'surge') as SurgeVerdict | undefined;
  return { ...(v ?? noVerdict(run)), run };
}

function noVerdict(run: RunResult): SurgeVerdict {
  const why = run.verdict.reasons.join('; ') || `run ${run.status}`;
  return { verdict: 'inconclusive', summary: `inconclusive: ${why}`, baseline: 0, multiple: 0, reasons: [why] };
}

export interface CapacityOptions {
  options: GauntletOptions;
  target: string;
  /** First step's rate, req/s. */
  startRps: number;
  /** Increment per step, req/s (default: startRps). */
  stepRps?: number;
  stepDuration?: string | number;
  /** Hard upper bound on the rate asked, req/s. */
  maxRps: number;
  slo?: Partial<Slo>;
  expectedLatencyMs?: number;
  signal?: AbortSignal;
}

export interface CapacityResult extends CapacityVerdict {
  run: LoadRunResult;
}

export function capacityProfile(o: Omit<CapacityOptions, 'options'>): ProfileInput {
  const step = o.stepRps ?? o.startRps;
  const steps = Math.max(1, Math.floor((o.maxRps - o.startRps) / step) + 1);
  return { kind: 'steps', from: o.startRps, step, steps, stepDuration: o.stepDuration ?? '30s' };
}

/** What `capacitySearch` would run. */
export function capacityPlan(o: Omit<CapacityOptions, 'options'>): LoadPlan {
  return loadPlan({ url: o.target, profile: capacityProfile(o), name: 'capacity', analyze: 'capacity', ...(o.slo ? { slo: o.slo } : {}) });
}

/** Step the rate up until the SLO breaks; report the highest rate sustained for a whole step. */
export async function capacitySearch(o: CapacityOptions): Promise<CapacityResult> {
  const run = await runLoad({
    options: o.options,
    url: o.target,
    profile: capacityProfile(o),
    name: 'capacity',
    analyze: 'capacity',
    stopOnBreach: true,
    ...(o.slo ? { slo: o.slo } : {}),
    ...(o.expectedLatencyMs ? { expectedLatencyMs: o.expectedLatencyMs } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const v = analysisMark(run.events, 'capacity') as CapacityVerdict | undefined;
  return { ...(v ?? { verdict: 'inconclusive', summary: `inconclusive: ${run.verdict.reasons.join('; ') || run.status}`, steps: [] }), run };
}
