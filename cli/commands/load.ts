/** gauntlet load run | surge | capacity: k6 under Gauntlet. */
import type { Argv } from 'yargs';
import { emit, optionsFromArgs } from '../context.ts';
import { onInterrupt } from '../interrupt.ts';
import { defineCommand } from './types.ts';
import { ExitCode, UsageError } from '../../core/errors.ts';

interface LoadArgs {
  action: 'run' | 'surge' | 'capacity';
  script?: string;
  url?: string;
  profile?: string;
  rate?: number;
  duration?: string;
  from?: number;
  to?: number;
  target?: string;
  baselineRps?: number;
  multiple?: number;
  hold?: string;
  rampUp?: string;
  p99?: number;
  errorRate?: number;
  start?: number;
  step?: number;
  stepDuration?: string;
  max?: number;
  latency?: number;
}

function profileOf(a: LoadArgs): Record<string, unknown> | undefined {
  if (!a.profile) return undefined;
  if (a.profile === 'constant' || a.profile === 'soak') return { kind: a.profile, rate: a.rate, duration: a.duration ?? '1m' };
  if (a.profile === 'ramp') return { kind: 'ramp', from: a.from ?? 0, to: a.to ?? a.rate, duration: a.duration ?? '1m' };
  if (a.profile === 'surge') return { kind: 'surge', baseline: a.rate, ...(a.hold ? { hold: a.hold } : {}) };
  return undefined;
}

const slo = (y: Argv) =>
  y
    .option('p99', { type: 'number', describe: 'SLO: p99 latency bound, ms', default: 500 })
    .option('error-rate', { type: 'number', describe: 'SLO: error-rate bound, 0..1', default: 0.01 })
    .option('latency', { type: 'number', describe: 'expected service latency, ms (sizes the VU pool)' });

export const load = defineCommand<LoadArgs>({
  command: 'load <action> [script]',
  describe: 'load with k6: run a script, prove a surge, search capacity',
  builder: (y) =>
    slo(y)
      .positional('action', { choices: ['run', 'surge', 'capacity'] as const, describe: 'run a script or URL | prove a surge | search capacity' })
      .positional('script', { type: 'string', describe: 'run: k6 script (.ts or .js)' })
      .option('url', { type: 'string', describe: 'run: GET this URL with the built-in script instead of a script' })
      .option('profile', { choices: ['constant', 'ramp', 'surge', 'soak'] as const, describe: "run: arrival-rate profile (default: the script's own options)" })
      .option('rate', { type: 'number', describe: 'run: req/s (constant, soak; surge baseline)' })
      .option('from', { type: 'number', describe: 'run: ramp start, req/s' })
      .option('to', { type: 'number', describe: 'run: ramp end, req/s' })
      .option('duration', { type: 'string', describe: 'run: profile duration, e.g. 30s' })
      .option('target', { type: 'string', describe: 'surge, capacity: URL to load' })
      .option('baseline-rps', { type: 'number', describe: 'surge: the normal rate, req/s' })
      .option('multiple', { type: 'number', default: 3, describe: 'surge: peak as a multiple of baseline (3 = a 200% surge)' })
      .option('hold', { type: 'string', describe: 'surge: how long to hold the peak (default 5m)' })
      .option('ramp-up', { type: 'string', describe: 'surge: ramp duration (default 30s)' })
      .option('start', { type: 'number', describe: 'capacity: first step, req/s' })
      .option('step', { type: 'number', describe: 'capacity: increment per step, req/s (default: start)' })
      .option('step-duration', { type: 'string', default: '30s', describe: 'capacity: length of each step' })
      .option('max', { type: 'number', describe: 'capacity: never ask more than this, req/s' })
      .example('$0 load run loadtest/scripts/smoke.ts', 'a k6 script, unchanged')
      .example('$0 load run --url http://127.0.0.1:8080/ --profile constant --rate 200 --duration 30s', 'the built-in GET')
      .example('$0 load surge --target http://127.0.0.1:8080/ --baseline-rps 200 --hold 5m', '"held 3.0x for 5m: ..." or "broke at 2.4x: ..."')
      .example('$0 load capacity --target http://127.0.0.1:8080/ --start 100 --step 100 --max 5000', 'highest sustained rate'),
  async handler(a) {
    const o = optionsFromArgs(a);
    const cmd = a.action;
    const lib = await import('../../scenarios/load-runs.ts');
    const s = { p99Ms: a.p99 ?? 500, maxErrorRate: a.errorRate ?? 0.01 };
    const { signal, done } = onInterrupt('stopping k6 gracefully');
    try {
      const need = (names: Array<keyof LoadArgs>) => {
        const missing = names.filter((n) => a[n] === undefined);
        if (missing.length) throw new UsageError(`load ${cmd} needs --${missing.map((m) => m.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)).join(', --')}`);
      };
      if (cmd === 'surge') {
        need(['target', 'baselineRps']);
        const r = await lib.surge({ options: o, target: a.target!, baselineRps: a.baselineRps!, multiple: a.multiple ?? 3, hold: a.hold ?? '5m', rampUp: a.rampUp ?? '30s', slo: s, signal, ...(a.latency ? { expectedLatencyMs: a.latency } : {}) });
        const { run, ...verdict } = r;
        emit(o, { ...verdict, runDir: run.runDir }, () => `${r.summary}\nrun directory: ${run.runDir}`);
        return run.exitCode !== ExitCode.Pass && run.status !== 'completed' ? run.exitCode : r.verdict === 'held' ? ExitCode.Pass : ExitCode.GateFailed;
      }
      if (cmd === 'capacity') {
        need(['target', 'start', 'max']);
        const r = await lib.capacitySearch({ options: o, target: a.target!, startRps: a.start!, ...(a.step ? { stepRps: a.step } : {}), stepDuration: a.stepDuration ?? '30s', maxRps: a.max!, slo: s, signal, ...(a.latency ? { expectedLatencyMs: a.latency } : {}) });
        const { run, ...verdict } = r;
        emit(o, { ...verdict, runDir: run.runDir }, () => `${r.summary}\nrun directory: ${run.runDir}`);
        return r.verdict === 'inconclusive' ? ExitCode.GateFailed : ExitCode.Pass;
      }
      if (!a.url && !a.script) throw new UsageError('load run needs a script or --url');
      if (a.profile && a.rate === undefined && a.to === undefined) throw new UsageError(`--profile ${a.profile} needs --rate`);
      const r = await lib.runLoad({ options: o, ...(a.url ? { url: a.url } : { script: a.script! }), ...(profileOf(a) ? { profile: profileOf(a) as never } : {}), signal, ...(a.latency ? { expectedLatencyMs: a.latency } : {}) });
      const { summarizeAsync } = await import('./summary.ts');
      const text = o.output === 'json' ? '' : await summarizeAsync(r, o.color);
      emit(o, { runId: r.runId, runDir: r.runDir, status: r.status, verdict: r.verdict, exitCode: r.exitCode, reports: r.reportFiles }, () => text);
      return r.exitCode;
    } finally {
      done();
    }
  },
});
