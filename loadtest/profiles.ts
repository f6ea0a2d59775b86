/**
 * Load profiles as typed data: what users write (`ProfileInput`, durations as text) and the
 * normalized form (`Profile`, ms) that generates k6 options. Every profile is an open model
 * (arrival-rate executors): the rate is asked of the generator whatever the server does, so a
 * slow server shows up as latency and dropped iterations, not as a politely lower rate.
 *
 * Each profile becomes one or more stages; each stage is one k6 scenario, so every window the
 * journal records carries its stage (`labels.stage`).
 */
import { z } from 'zod';
import { parseDuration } from '../core/duration.ts';

const duration = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `not a duration: "${v}" (write 30s, 5m, 1m30s, 500ms)` });
    return z.NEVER;
  }
  return ms;
});
const rate = z.number().positive();

export const profileSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('constant'), rate, duration }),
  z.object({ kind: z.literal('ramp'), from: z.number().nonnegative(), to: rate, duration }),
  z.object({
    kind: z.literal('steps'),
    from: rate,
    step: rate,
    steps: z.number().int().positive(),
    stepDuration: duration,
  }),
  z.object({
    kind: z.literal('surge'),
    baseline: rate,
    /** Peak as a multiple of baseline: 3 = a 200% surge. */
    multiple: z.number().gt(1).default(3),
    warmup: duration.default(10_000),
    rampUp: duration.default(30_000),
    hold: duration.default(300_000),
    rampDown: duration.default(30_000),
  }),
  z.object({ kind: z.literal('soak'), rate, duration, rampUp: duration.default(60_000) }),
]);

export type ProfileInput = z.input<typeof profileSchema>;
export type Profile = z.output<typeof profileSchema>;

/** One k6 scenario: the rate moves linearly from `from` to `to` over [start, start+duration). */
export interface Stage {
  name: string;
  /** Offset from the start of the load, ms. */
  start: number;
  duration: number;
  from: number;
  to: number;
}

export function stagesOf(p: Profile): Stage[] {
  switch (p.kind) {
    case 'constant':
      return [{ name: 'constant', start: 0, duration: p.duration, from: p.rate, to: p.rate }];
    case 'ramp':
      return [{ name: 'ramp', start: 0, duration: p.duration, from: p.from, to: p.to }];
    case 'steps':
      return Array.from({ length: p.steps }, (_, i) => {
        const r = p.from + i * p.step;
        return { name: `step-${i + 1}`, start: i * p.stepDuration, duration: p.stepDuration, from: r, to: r };
      });
    case 'surge': {
      const peak = p.baseline * p.multiple;
      return chain([
        { name: 'baseline', duration: p.warmup, from: p.baseline, to: p.baseline },
        { name: 'ramp-up', duration: p.rampUp, from: p.baseline, to: peak },
        { name: 'hold', duration: p.hold, from: peak, to: peak },
        { name: 'ramp-down', duration: p.rampDown, from: peak, to: p.baseline },
      ]);
    }
    case 'soak':
      return chain([
        { name: 'ramp-up', duration: p.rampUp, from: 1, to: p.rate },
        { name: 'soak', duration: p.duration, from: p.rate, to: p.rate },
      ]);
  }
}

function chain(stages: Array<Omit<Stage, 'start'>>): Stage[] {
  let at = 0;
  return stages
    .filter((s) => s.duration > 0)
    .map((s) => {
      const out = { ...s, start: at };
      at += s.duration;
      return out;
    });
}

export function totalDuration(stages: readonly Stage[]): number {
  return Math.max(0, ...stages.map((s) => s.start + s.duration));
}

/** The rate a stage asks for at `t` ms after the load started (0 outside the stage). */
export function rateAt(stage: Stage, t: number): number {
  const x = t - stage.start;
  if (x < 0 || x >= stage.duration) return 0;
  return stage.from + ((stage.to - stage.from) * x) / stage.duration;
}

/** Requests a stage asks for between a and b (ms after load start), exactly (linear rate). */
export function requestsBetween(stage: Stage, a: number, b: number): number {
  const lo = Math.max(a, stage.start);
  const hi = Math.min(b, stage.start + stage.duration);
  if (hi <= lo) return 0;
  const mid = (rateAt(stage, lo) + stage.from + ((stage.to - stage.from) * (hi - stage.start)) / stage.duration) / 2;
  return (mid * (hi - lo)) / 1000;
}

export interface VuSizing {
  /** Latency the service is expected to answer in, ms (sizes the VU pool). */
  expectedLatencyMs: number;
  /** Latency beyond which more VUs are not worth having, ms. */
  maxLatencyMs: number;
  maxVUs: number;
}

export const DEFAULT_SIZING: VuSizing = { expectedLatencyMs: 50, maxLatencyMs: 2000, maxVUs: 5000 };

/**
 * VUs for an arrival rate: Little's law (in flight = rate × latency) with headroom for the
 * pre-allocated pool, and room to keep the rate while latency grows up to maxLatencyMs.
 */
export function vusFor(peakRate: number, s: VuSizing = DEFAULT_SIZING): { preAllocatedVUs: number; maxVUs: number } {
  // Allocating VUs mid-test costs k6 time (and so dropped iterations): pre-allocate for twice
  // the expected latency, and never plan on less than 20 ms of it.
  const pre = Math.min(s.maxVUs, Math.ceil((peakRate * Math.max(s.expectedLatencyMs, 20) * 2) / 1000) + 5);
  const max = Math.min(s.maxVUs, Math.max(pre, Math.ceil((peakRate * s.maxLatencyMs) / 1000) + 2));
  return { preAllocatedVUs: pre, maxVUs: max };
}

/** k6 wants whole iterations per timeUnit: express fractional rates per 10 s or 100 s. */
function k6Rate(r: number): { rate: number; timeUnit: string } {
  for (const [unit, f] of [['1s', 1], ['10s', 10], ['100s', 100]] as const) {
    if (Number.isInteger(Math.round(r * f * 1e6) / 1e6)) return { rate: Math.round(r * f), timeUnit: unit };
  }
  return { rate: Math.round(r * 100), timeUnit: '100s' };
}

const ms = (x: number) => `${Math.round(x)}ms`;

/** k6 `scenarios` for a profile; `exec` is the script function each iteration runs. */
export function toK6Scenarios(stages: readonly Stage[], sizing: VuSizing = DEFAULT_SIZING, exec = 'default'): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const s of stages) {
    const vus = vusFor(Math.max(s.from, s.to), sizing);
    const common = { exec, startTime: ms(s.start), gracefulStop: '2s', ...vus };
    if (s.from === s.to) {
      out[s.name] = { executor: 'constant-arrival-rate', ...k6Rate(s.from), duration: ms(s.duration), ...common };
    } else {
      // Both ends share one timeUnit: pick the one that makes both whole.
      const unit = k6Rate(s.from).timeUnit === '1s' && k6Rate(s.to).timeUnit === '1s' ? '1s' : '100s';
      const f = unit === '1s' ? 1 : 100;
      out[s.name] = {
        executor: 'ramping-arrival-rate',
        startRate: Math.round(s.from * f),
        timeUnit: unit,
        stages: [{ target: Math.round(s.to * f), duration: ms(s.duration) }],
        ...common,
      };
    }
  }
  return out;
}
