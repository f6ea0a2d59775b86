/** Zod field types shared by the scenario schema and step kinds. */
import { z } from 'zod';
import { parseDuration } from './duration.ts';

/** A duration like `30s`, normalized to milliseconds. */
export const duration = z.string({ error: 'expected a duration like 30s' }).transform((s, ctx) => {
  const ms = parseDuration(s);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 30s, got "${s}"` });
    return z.NEVER;
  }
  return ms;
});

/** A ratio written as 0.05 or "5%", normalized to 0..1. */
export const ratio = z.union([z.number().min(0).max(1), z.string().regex(/^\d+(\.\d+)?%$/, 'expected a ratio like 0.05 or "5%"')]).transform((v) =>
  typeof v === 'number' ? v : Number(v.slice(0, -1)) / 100,
);

/**
 * A threshold: a number, "5%", or a duration like "300ms". Durations are kept in ms with a
 * flag so the gate can convert them to the metric's unit (ms for latency, s for *Seconds);
 * percentages keep a flag so validate can refuse them on metrics that are not ratios.
 */
export interface Threshold {
  n: number;
  duration: boolean;
  percent?: boolean;
}

export const threshold = z.union([
  z.number().transform((n): Threshold => ({ n, duration: false })),
  z.string().transform((s, ctx): Threshold => {
    if (/^\d+(\.\d+)?%$/.test(s)) return { n: Number(s.slice(0, -1)) / 100, duration: false, percent: true };
    const ms = parseDuration(s);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a number, a percentage like "5%" or a duration like "300ms", got "${s}"` });
      return z.NEVER;
    }
    return { n: ms, duration: true };
  }),
]);

export const url = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

export const labels = z.record(z.string(), z.string());
