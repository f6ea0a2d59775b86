/**
 * Step kind `k6`: load from any k6 script, or from the built-in GET script against a URL,
 * driven by a Gauntlet profile. Windows go to the journal live; the script's own thresholds
 * become gates; with `analyze`, the step also journals a surge or capacity verdict.
 */
import { z } from 'zod';
import { formatDuration } from '../core/duration.ts';
import type { WindowEvent } from '../core/events.ts';
import { duration, ratio, url } from '../core/fields.ts';
import { registerStep, type StepContext } from '../core/steps.ts';
import { formatValue } from '../core/gates.ts';
import { profileSchema, stagesOf, totalDuration, type Profile } from './profiles.ts';
import { BUILTIN_REQUEST_METRICS, runK6Step } from './run.ts';
import { HTTP_METRICS, thresholdsToGates } from './thresholds.ts';
import { resolve } from 'node:path';
import { BreachWatcher, capacityVerdict, DEFAULT_SLO, surgeMultipleHeld, surgeVerdict, type Slo } from './verdict.ts';

const k6Threshold = z.union([z.string(), z.strictObject({ threshold: z.string(), abortOnFail: z.boolean().optional(), delayAbortEval: z.string().optional() })]);

export const k6Params = z
  .strictObject({
    /** A k6 script (TS or JS), relative to the working directory. */
    script: z.string().min(1).optional(),
    /** Target of the built-in GET script; defaults to the scenario's target.url. */
    url: url.optional(),
    profile: profileSchema.optional(),
    /** Expected service latency: sizes the VU pool (VUs = rate × latency). */
    expectedLatency: duration.optional(),
    thresholds: z.record(z.string(), z.array(k6Threshold)).optional(),
    env: z.record(z.string(), z.string()).optional(),
    /** The service-level objective a surge or capacity analysis judges against. */
    slo: z.strictObject({ p99: duration.optional(), errorRate: ratio.optional() }).optional(),
    /** Journal a surge or capacity verdict at the end. */
    analyze: z.enum(['surge', 'capacity']).optional(),
    /** Stop the load a few seconds after the SLO breaks (a capacity search needs no more). */
    stopOnBreach: z.boolean().default(false),
  })
  .refine((p) => !(p.script && p.url), { message: 'give script or url, not both' })
  .refine((p) => p.script || p.profile, { message: 'the built-in GET script (url or target.url) needs a profile', path: ['profile'] });
export type K6Params = z.output<typeof k6Params>;
declare module '../core/scenario.ts' {
  interface StepParamsByKind {
    'k6': K6Params;
  }
}


export function sloOf(p: K6Params): Slo {
  return { p99Ms: p.slo?.p99 ?? DEFAULT_SLO.p99Ms, maxErrorRate: p.slo?.errorRate ?? DEFAULT_SLO.maxErrorRate };
}

export function baselineOf(profile: Profile | undefined): number | undefined {
  return profile?.kind === 'surge' ? profile.baseline : undefined;
}

async function run(ctx: StepContext<K6Params>): Promise<void> {
  const p = ctx.step.params;
  const id = ctx.step.id;
  const url = p.script ? undefined : (p.url ?? ctx.scenario.target.url);
  if (!p.script && !url) throw new Error('k6 step needs a script, a url, or the scenario target.url');
  const slo = sloOf(p);
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const windows: WindowEvent[] = [];
  const watcher = p.stopOnBreach
    ? new BreachWatcher(slo, (b) => {
        ctx.journal.append({ type: 'mark', step: id, label: `SLO breached: ${b.what}`, data: { ...b } });
        ctx.progress(`SLO breached (${b.what}); stopping the load`);
        setTimeout(() => stop.abort(), 3000).unref();
      })
    : undefined;
  try {
    const outcome = await runK6Step(
      {
        ...(p.script ? { script: p.script } : { url: url! }),
        ...(p.profile ? { profile: p.profile } : {}),
        ...(p.expectedLatency !== undefined ? { sizing: { expectedLatencyMs: p.expectedLatency } } : {}),
        gates: ctx.scenario.gates.filter((g) => g.abortOnFail && (!g.step || g.step === id)),
        ...(p.thresholds ? { thresholds: p.thresholds } : {}),
        ...(p.env ? { env: p.env } : {}),
      },
      {
        step: id,
        journal: ctx.journal,
        options: ctx.options,
        workDir: ctx.runDir,
        signal: stop.signal,
        deadline: ctx.deadline,
        progress: ctx.progress,
        onWindow: (w) => {
          windows.push(w);
          watcher?.add(w);
        },
      },
    );
    // The script's own thresholds are already gates of the run (see `gates` below, resolved before run.start).
    if (outcome.scriptGates.length || outcome.unmapped.length) {
      ctx.journal.append({ type: 'mark', step: id, label: 'k6 thresholds', data: { gates: outcome.scriptGates, unmapped: outcome.unmapped } });
    }
    if (p.analyze && p.profile) analyze(ctx, p, windows, slo, outcome.loadStart ?? 0);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
}

function analyze(ctx: StepContext<K6Params>, p: K6Params, windows: WindowEvent[], slo: Slo, loadStart: number): void {
  const stages = stagesOf(p.profile!);
  const id = ctx.step.id;
  if (p.analyze === 'surge') {
    const v = surgeVerdict(windows, stages, baselineOf(p.profile) ?? stages[0]!.from, slo, loadStart);
    ctx.journal.append({ type: 'mark', step: id, label: `surge: ${v.summary}`, data: { analysis: 'surge', ...v } });
    const held = surgeMultipleHeld(v);
    if (held !== undefined) ctx.journal.append({ type: 'figure', step: id, name: 'surgeMultipleHeld', value: held, unit: 'x', definition: 'peak rate held within the SLO, as a multiple of baseline (0 when it broke)' });
    const hr = v.verdict === 'held' ? v.headroom : undefined;
    if (hr?.p99 !== undefined) ctx.journal.append({ type: 'figure', step: id, name: 'p99Headroom', value: Math.round(hr.p99 * 1000) / 1000, unit: 'ratio', definition: `capacity headroom at the peak: 1 - p99 during the hold / the SLO's p99 (${slo.p99Ms} ms)` });
    if (hr?.errors !== undefined) ctx.journal.append({ type: 'figure', step: id, name: 'errorHeadroom', value: Math.round(hr.errors * 1000) / 1000, unit: 'ratio', definition: `capacity headroom at the peak: 1 - error rate during the hold / the SLO's error rate (${formatValue(slo.maxErrorRate, 'ratio')})` });
    ctx.progress(`surge ${v.summary}${hr?.p99 !== undefined ? `; headroom at the peak: p99 ${Math.round(hr.p99 * 100)} % under the SLO's ${slo.p99Ms} ms` : ''}`);
  } else {
    const v = capacityVerdict(windows, stages, slo, loadStart);
    ctx.journal.append({ type: 'mark', step: id, label: `capacity: ${v.summary}`, data: { analysis: 'capacity', ...v } });
    if (v.highestSustainedRps !== undefined) ctx.journal.append({ type: 'figure', step: id, name: 'capacityRps', value: v.highestSustainedRps, unit: 'req/s', definition: 'highest step rate sustained for its whole step within the SLO' });
    ctx.progress(`capacity: ${v.summary}`);
  }
}

registerStep({
  kind: 'k6',
  sections: ['load'],
  summary: 'load with k6: any k6 script, or the built-in GET against a URL, driven by a profile',
  params: k6Params,
  async gates(step, _scenario, options) {
    const p = step.params;
    const thresholds: Record<string, unknown[]> = {};
    const add = (t: Record<string, unknown> | undefined) => {
      for (const [k, v] of Object.entries(t ?? {})) thresholds[k] = [...(thresholds[k] ?? []), ...(Array.isArray(v) ? v : [v])];
    };
    if (p.script) {
      const { findK6, inspectScript } = await import('./k6.ts');
      const { compileIssue } = await import('./run.ts');
      const script = resolve(p.script);
      const r = await inspectScript(await findK6(options), script, { ...options.env, ...p.env, K6_NO_USAGE_REPORT: 'true' });
      if (!r.ok) throw compileIssue(script, r.message);
      add(r.options.thresholds as Record<string, unknown> | undefined);
    }
    add(p.thresholds);
    return thresholdsToGates(thresholds, step.id, p.script ? HTTP_METRICS : BUILTIN_REQUEST_METRICS).gates;
  },
  /** A profile that outlasts the scenario would be cut at its end: say so at validate time. */
  check(step, scenario) {
    const p = step.params.profile;
    if (!p) return [];
    const end = step.at + totalDuration(stagesOf(p));
    return end > scenario.duration
      ? [[['profile'], `the ${p.kind} profile runs ${formatDuration(totalDuration(stagesOf(p)))} from ${formatDuration(step.at)}, past the scenario's end at ${formatDuration(scenario.duration)} (raise duration: to at least ${formatDuration(end)})`]]
      : [];
  },
  // A script's own tags may label its windows: labels are not known before it runs.
  produces: () => ({ traffic: true, figures: ['surgeMultipleHeld', 'p99Headroom', 'errorHeadroom', 'capacityRps'] }),
  async tools(options) {
    const { findK6 } = await import('./k6.ts');
    const k6 = await findK6(options);
    return { k6: k6.version, k6Binary: `${k6.path} (${k6.versionText})` };
  },
  plan(step) {
    const p = step.params;
    const what = p.script ? `run k6 script ${p.script}` : `GET ${p.url ?? 'target.url'} with k6`;
    if (!p.profile) return [`${what} with the script's own options`];
    const stages = stagesOf(p.profile);
    return [
      `${what}, ${p.profile.kind} profile for ${formatDuration(totalDuration(stages))}:`,
      ...stages.map((s) => `  ${s.name}: ${s.from === s.to ? `${s.from} req/s` : `${s.from} → ${s.to} req/s`} for ${formatDuration(s.duration)}`),
    ];
  },
  run,
});
