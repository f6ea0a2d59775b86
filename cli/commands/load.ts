/** gauntlet load run | surge | capacity: k6 under Gauntlet. */
import type { Argv } from 'yargs';
import { emit, optionsFromArgs } from '../context.ts';
import { onInterrupt } from '../interrupt.ts';
import { defineCommand } from './types.ts';
import { ExitCode, InputError, UsageError } from '../../core/errors.ts';
import { formatDuration } from '../../core/duration.ts';
import { formatValue, type GateSpec } from '../../core/gates.ts';
import type { ProfileInput } from '../../loadtest/profiles.ts';
import type { LoadPlan } from '../../scenarios/load-runs.ts';

interface LoadArgs {
  action: 'run' | 'surge' | 'capacity';
  script?: string;
  url?: string;
  profile?: 'constant' | 'ramp' | 'steps' | 'surge' | 'soak';
  rate?: number;
  duration?: string;
  from?: number;
  to?: number;
  steps?: number;
  target?: string;
  baselineRps?: number;
  multiple?: number;
  warmup?: string;
  rampUp?: string;
  hold?: string;
  rampDown?: string;
  p99?: number;
  errorRate?: number;
  start?: number;
  step?: number;
  stepDuration?: string;
  max?: number;
  latency?: number;
  dryRun?: boolean;
}

/** Defaults of the built-in GET (`load run --url`) when no profile flags are given. */
export const DEFAULT_RUN = { profile: 'constant', rate: 10, duration: '30s' } as const;
export const DEFAULT_SLO_FLAGS = { p99: 500, errorRate: 0.01 } as const;

const FLAG_OF_FIELD: Record<string, string> = {
  rate: '--rate',
  baseline: '--rate',
  from: '--from',
  to: '--to',
  step: '--step',
  steps: '--steps',
  stepDuration: '--step-duration',
  duration: '--duration',
  multiple: '--multiple',
  warmup: '--warmup',
  rampUp: '--ramp-up',
  hold: '--hold',
  rampDown: '--ramp-down',
};

/** A profile error from the library, as one line naming the flag (exit 2). */
function asFlagError(e: unknown, overrides: Record<string, string> = {}): unknown {
  if (!(e instanceof InputError)) return e;
  const i = e.issues[0]!;
  const field = i.path.replace(/^profile\.?/, '');
  const flag = overrides[field] ?? FLAG_OF_FIELD[field];
  return new UsageError(flag ? `${flag}: ${i.message}` : `${i.path ? `${i.path}: ` : ''}${i.message}`);
}

function positive(name: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new UsageError(`--${name}: expected a positive number`);
}

function checkNumbers(a: LoadArgs): void {
  const nums: Array<[string, number | undefined]> = [
    ['rate', a.rate], ['to', a.to], ['steps', a.steps], ['baseline-rps', a.baselineRps], ['multiple', a.multiple], ['p99', a.p99],
    ['start', a.start], ['step', a.step], ['max', a.max], ['latency', a.latency],
  ];
  for (const [n, v] of nums) positive(n, v);
  if (a.from !== undefined && !(Number.isFinite(a.from) && a.from >= 0)) throw new UsageError('--from: expected a number ≥ 0');
  if (a.errorRate !== undefined && !(Number.isFinite(a.errorRate) && a.errorRate >= 0 && a.errorRate <= 1)) throw new UsageError('--error-rate: expected a ratio between 0 and 1, e.g. 0.01');
  if (a.steps !== undefined && !Number.isInteger(a.steps)) throw new UsageError('--steps: expected a whole number');
}

/** The profile `load run` asks for: --profile and its flags; the built-in GET defaults to constant 10 req/s for 30s. */
export function profileOf(a: LoadArgs): ProfileInput | undefined {
  const kind = a.profile ?? (a.url ? DEFAULT_RUN.profile : undefined);
  if (!kind) {
    const stray = (['rate', 'duration', 'from', 'to', 'steps', 'hold'] as const).filter((k) => a[k] !== undefined);
    if (stray.length) throw new UsageError(`--${stray[0]} needs --profile (a script without --profile runs with its own options)`);
    return undefined;
  }
  const duration = a.duration ?? DEFAULT_RUN.duration;
  switch (kind) {
    case 'constant':
      return { kind, rate: a.rate ?? DEFAULT_RUN.rate, duration };
    case 'soak':
      return { kind, rate: a.rate ?? DEFAULT_RUN.rate, duration: a.duration ?? '10m', ...(a.rampUp ? { rampUp: a.rampUp } : {}) };
    case 'ramp': {
      const to = a.to ?? a.rate;
      if (to === undefined) throw new UsageError('--profile ramp needs --to (the rate to end at, req/s)');
      return { kind, from: a.from ?? 0, to, duration: a.duration ?? '1m' };
    }
    case 'steps': {
      const from = a.from ?? a.rate;
      if (from === undefined) throw new UsageError('--profile steps needs --from (the first step, req/s)');
      return { kind, from, step: a.step ?? from, steps: a.steps ?? 5, stepDuration: a.stepDuration ?? '30s' };
    }
    case 'surge': {
      if (a.rate === undefined) throw new UsageError('--profile surge needs --rate (the baseline, req/s)');
      return { kind, baseline: a.rate, ...surgeShape(a) };
    }
  }
}

function surgeShape(a: LoadArgs): Record<string, unknown> {
  return {
    ...(a.multiple !== undefined ? { multiple: a.multiple } : {}),
    ...(a.warmup !== undefined ? { warmup: a.warmup } : {}),
    ...(a.rampUp !== undefined ? { rampUp: a.rampUp } : {}),
    ...(a.hold !== undefined ? { hold: a.hold } : {}),
    ...(a.rampDown !== undefined ? { rampDown: a.rampDown } : {}),
  };
}

/** `load run` gates from --p99 / --error-rate: always for the built-in GET (defaults 500 ms, 1 %), for a script only when given. */
function runGates(a: LoadArgs, lib: typeof import('../../scenarios/load-runs.ts')): GateSpec[] {
  const p99 = a.p99 ?? (a.url ? DEFAULT_SLO_FLAGS.p99 : undefined);
  const errorRate = a.errorRate ?? (a.url ? DEFAULT_SLO_FLAGS.errorRate : undefined);
  return lib.sloGates({ ...(p99 !== undefined ? { p99Ms: p99 } : {}), ...(errorRate !== undefined ? { maxErrorRate: errorRate } : {}) });
}

export function planText(cmd: string, p: LoadPlan): string {
  const what = p.target ? `GET ${p.target}` : `k6 script ${p.script}`;
  const lines = [`load ${cmd}: ${what}`];
  if (!p.profile) lines.push("  profile: the script's own options (vus, duration, scenarios)");
  else {
    lines.push(`  profile: ${p.profile.kind}, ${formatDuration(p.totalMs)} of load`);
    for (const s of p.stages) {
      const rate = s.from === s.to ? `${s.from} req/s` : `${s.from} → ${s.to} req/s`;
      lines.push(`    ${s.name.padEnd(10)} at ${formatDuration(s.start).padEnd(6)} for ${formatDuration(s.duration).padEnd(6)} ${rate}`);
    }
  }
  if (p.gates.length) {
    lines.push('  gates:');
    for (const g of p.gates) lines.push(`    ${g.name} (${g.metric})`);
  } else if (!p.slo) lines.push("  gates: none (the script's thresholds become gates when it runs)");
  if (p.slo) lines.push(`  verdict against the SLO: p99 ≤ ${formatValue(p.slo.p99Ms, 'ms')}, errors ≤ ${formatValue(p.slo.maxErrorRate, 'ratio')}`);
  lines.push('  (dry run: nothing was started)');
  return lines.join('\n');
}

const slo = (y: Argv) =>
  y
    .option('p99', { type: 'number', describe: 'SLO / gate: p99 latency bound, ms (default 500; for a script only when given)' })
    .option('error-rate', { type: 'number', describe: 'SLO / gate: error-rate bound, 0..1 (default 0.01; for a script only when given)' })
    .option('latency', { type: 'number', describe: 'expected service latency, ms (sizes the VU pool)' })
    .option('dry-run', { type: 'boolean', describe: 'print the plan (stages, rates, durations, gates) and start nothing' });

export const load = defineCommand<LoadArgs>({
  command: 'load <action> [script]',
  describe: 'load with k6: run a script, prove a surge, search capacity',
  builder: (y) =>
    slo(y)
      .positional('action', { choices: ['run', 'surge', 'capacity'] as const, describe: 'run a script or URL | prove a surge | search capacity' })
      .positional('script', { type: 'string', describe: 'run: k6 script (.ts or .js)' })
      .option('url', { type: 'string', describe: 'run: GET this URL with the built-in script (default profile: constant 10 req/s for 30s)' })
      .option('profile', { choices: ['constant', 'ramp', 'steps', 'surge', 'soak'] as const, describe: "run: arrival-rate profile (a script without one runs with its own options)" })
      .option('rate', { type: 'number', describe: 'run: req/s (constant, soak: default 10; surge: the baseline)' })
      .option('from', { type: 'number', describe: 'run: ramp start (default 0) / first step, req/s' })
      .option('to', { type: 'number', describe: 'run: ramp end, req/s' })
      .option('steps', { type: 'number', describe: 'run --profile steps: number of steps (default 5)' })
      .option('duration', { type: 'string', describe: 'run: profile duration, e.g. 30s (constant 30s, ramp 1m, soak 10m)' })
      .option('target', { type: 'string', describe: 'surge, capacity: URL to load' })
      .option('baseline-rps', { type: 'number', describe: 'surge: the normal rate, req/s' })
      .option('multiple', { type: 'number', describe: 'surge: peak as a multiple of baseline (default 3 = a 200% surge)' })
      .option('warmup', { type: 'string', describe: 'surge: time at baseline before the ramp (default 10s)' })
      .option('ramp-up', { type: 'string', describe: 'surge: ramp to the peak (default 30s); soak: ramp to the rate (default 1m)' })
      .option('hold', { type: 'string', describe: 'surge: how long to hold the peak (default 5m)' })
      .option('ramp-down', { type: 'string', describe: 'surge: ramp back to baseline (default 30s)' })
      .option('start', { type: 'number', describe: 'capacity: first step, req/s' })
      .option('step', { type: 'number', describe: 'capacity, run --profile steps: increment per step, req/s (default: the first step)' })
      .option('step-duration', { type: 'string', describe: 'capacity, run --profile steps: length of each step (default 30s)' })
      .option('max', { type: 'number', describe: 'capacity: never ask more than this, req/s' })
      .example('$0 load run loadtest/scripts/smoke.ts', 'a k6 script, unchanged')
      .example('$0 load run --url http://127.0.0.1:8080/ --rate 200 --duration 30s --p99 100', 'the built-in GET, gated on p99 ≤ 100 ms and errors ≤ 1%')
      .example('$0 load run --url http://127.0.0.1:8080/ --profile steps --from 100 --step 100 --steps 5 --dry-run', 'print the plan only')
      .example('$0 load surge --target http://127.0.0.1:8080/ --baseline-rps 200 --hold 5m', '"held 3.0x for 5m: ..." or "broke at 2.4x: ..."')
      .example('$0 load capacity --target http://127.0.0.1:8080/ --start 100 --step 100 --max 5000', 'highest sustained rate'),
  async handler(a) {
    const o = optionsFromArgs(a);
    const cmd = a.action;
    const lib = await import('../../scenarios/load-runs.ts');
    checkNumbers(a);
    const s = { p99Ms: a.p99 ?? DEFAULT_SLO_FLAGS.p99, maxErrorRate: a.errorRate ?? DEFAULT_SLO_FLAGS.errorRate };
    const need = (names: Array<keyof LoadArgs>) => {
      const missing = names.filter((n) => a[n] === undefined);
      if (missing.length) throw new UsageError(`load ${cmd} needs --${missing.map((m) => m.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)).join(', --')}`);
    };
    const latency = a.latency ? { expectedLatencyMs: a.latency } : {};
    const plan = (p: () => LoadPlan, overrides?: Record<string, string>) => {
      let out: LoadPlan;
      try {
        out = p();
      } catch (e) {
        throw asFlagError(e, overrides);
      }
      return out;
    };

    if (cmd === 'surge') {
      need(['target', 'baselineRps']);
      const so = { target: a.target!, baselineRps: a.baselineRps!, multiple: a.multiple ?? 3, hold: a.hold ?? '5m', rampUp: a.rampUp ?? '30s', ...(a.warmup ? { warmup: a.warmup } : {}), ...(a.rampDown ? { rampDown: a.rampDown } : {}), slo: s, ...latency };
      const p = plan(() => lib.surgePlan(so), { baseline: '--baseline-rps' });
      if (a.dryRun) return dry(o, cmd, p);
      const { signal, done } = onInterrupt('stopping k6 gracefully');
      try {
        const r = await lib.surge({ options: o, ...so, signal });
        const { run } = r;
        const { surgeDoc } = await import('../documents.ts');
        emit(o, surgeDoc(r), () => `${r.summary}\nrun directory: ${run.runDir}`);
        return run.exitCode !== ExitCode.Pass && run.status !== 'completed' ? run.exitCode : r.verdict === 'held' ? ExitCode.Pass : ExitCode.GateFailed;
      } finally {
        done();
      }
    }
    if (cmd === 'capacity') {
      need(['target', 'start', 'max']);
      const co = { target: a.target!, startRps: a.start!, ...(a.step ? { stepRps: a.step } : {}), stepDuration: a.stepDuration ?? '30s', maxRps: a.max!, slo: s, ...latency };
      const p = plan(() => lib.capacityPlan(co), { from: '--start' });
      if (a.dryRun) return dry(o, cmd, p);
      const { signal, done } = onInterrupt('stopping k6 gracefully');
      try {
        const r = await lib.capacitySearch({ options: o, ...co, signal });
        const { run } = r;
        const { capacityDoc } = await import('../documents.ts');
        emit(o, capacityDoc(r), () => `${r.summary}\nrun directory: ${run.runDir}`);
        return r.verdict === 'inconclusive' ? ExitCode.GateFailed : ExitCode.Pass;
      } finally {
        done();
      }
    }
    if (!a.url === !a.script) throw new UsageError(a.url ? 'load run takes a script or --url, not both' : 'load run needs a script or --url');
    const profile = profileOf(a);
    const gates = runGates(a, lib);
    const ro = { ...(a.url ? { url: a.url } : { script: a.script! }), ...(profile ? { profile } : {}), ...(gates.length ? { gates } : {}), ...latency };
    const p = plan(() => lib.loadPlan(ro));
    if (a.dryRun) return dry(o, cmd, p);
    const { signal, done } = onInterrupt('stopping k6 gracefully');
    try {
      const r = await lib.runLoad({ options: o, ...ro, signal });
      const { summarizeAsync } = await import('./summary.ts');
      const text = o.output === 'json' ? '' : await summarizeAsync(r, o.color);
      const { runDoc } = await import('../documents.ts');
      emit(o, runDoc(r), () => text);
      return r.exitCode;
    } finally {
      done();
    }
  },
});

function dry(o: ReturnType<typeof optionsFromArgs>, cmd: string, p: LoadPlan): number {
  emit(o, { schema: 'gauntlet/load-plan/v1', dryRun: true, command: `load ${cmd}`, ...p }, () => planText(cmd, p));
  return ExitCode.Pass;
}
