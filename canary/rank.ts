/**
 * Mann-Whitney U (Wilcoxon rank-sum) test on latency, canary vs stable over the same seconds, on
 * bucketed data. Pure.
 *
 * The windows carry latency histograms (core/histogram.ts), not raw values: every response in a
 * bucket is given the bucket's representative value (its geometric middle, +-4.4 % at k6's
 * resolution), so all responses of one bucket are tied, and the variance of U is corrected for
 * ties: Var(U) = n1 n2 / 12 x ((N + 1) - sum(t^3 - t) / (N (N - 1))), t = size of each group of
 * equal values in the combined sample. Normal approximation with a continuity correction
 * (n1 >= 50 and n2 >= 100 before it is used: far inside its range).
 *
 * One-sided, with a tolerance: H0 "the canary is no slower than stable x ratio + slack" (stable's
 * values are shifted before ranking), H1 "the canary is stochastically slower than that". So a
 * canary has to be slower by more than the tolerance, across its whole distribution (not only
 * the tail the p99 test sees), before the test can reject.
 */
import type { Histogram } from '../core/histogram.ts';

export interface RankParams {
  /** Stable's latencies are multiplied by this before ranking (the tolerated slowdown). */
  ratio: number;
  /** ... and this many ms added (sub-ms jitter on a fast service is not a regression). */
  slackMs: number;
  /** False-alarm rate per step, for a canary exactly at the tolerance. */
  alpha: number;
  /** Looks per step the alpha is split over (Bonferroni): the step's one-second windows, maxStep. */
  looks: number;
  /** Responses needed on each side before the test is used. */
  minCanary: number;
  minStable: number;
}

export interface RankResult {
  /** U of the canary: pairs (canary, shifted stable) where the canary is slower, ties counting 1/2. */
  u: number;
  z: number;
  /** One-sided p-value (normal approximation). */
  pValue: number;
  /** U / (n1 n2): the probability a canary response is slower than a (shifted) stable one. */
  effect: number;
  nCanary: number;
  nStable: number;
  /** Sum of t^3 - t over tie groups (the variance correction). */
  ties: number;
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 via erf; |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Upper-tail survival function, accurate in the far tail (where 1 - cdf would cancel). */
export function normalSf(z: number): number {
  if (z < 5) return 1 - normalCdf(z);
  // Mills ratio asymptotic expansion.
  const z2 = z * z;
  return (Math.exp(-z2 / 2) / (z * Math.sqrt(2 * Math.PI))) * (1 - 1 / z2 + 3 / (z2 * z2));
}

/** z with normalSf(z) = p (bisection; p in (0, 0.5)). */
export function criticalZ(p: number): number {
  let lo = 0;
  let hi = 40;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (normalSf(mid) > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The one-sided critical z for a step: alpha split over its looks. */
export const rankCriticalZ = (p: Pick<RankParams, 'alpha' | 'looks'>) => criticalZ(p.alpha / Math.max(1, p.looks));

export function rankTest(canary: Histogram, stable: Histogram, ratio = 1, slackMs = 0): RankResult | undefined {
  const n1 = canary.n;
  const n2 = stable.n;
  if (!n1 || !n2) return undefined;
  const schema = Math.min(canary.schema, stable.schema);
  // (value, canary count, stable count), merged by exact value.
  const byValue = new Map<number, [number, number]>();
  for (const [v, c] of canary.values(schema)) byValue.set(v, [(byValue.get(v)?.[0] ?? 0) + c, byValue.get(v)?.[1] ?? 0]);
  for (const [v0, c] of stable.values(schema)) {
    const v = v0 * ratio + slackMs;
    byValue.set(v, [byValue.get(v)?.[0] ?? 0, (byValue.get(v)?.[1] ?? 0) + c]);
  }
  let next = 1;
  let r1 = 0;
  let ties = 0;
  for (const v of [...byValue.keys()].sort((a, b) => a - b)) {
    const [c, s] = byValue.get(v)!;
    const t = c + s;
    r1 += c * (next + (t - 1) / 2);
    ties += t * t * t - t;
    next += t;
  }
  const n = n1 + n2;
  const u = r1 - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1)));
  const z = variance > 0 ? (u - mean - 0.5) / Math.sqrt(variance) : u > mean ? Infinity : 0;
  return { u, z, pValue: z === Infinity ? 0 : normalSf(z), effect: u / (n1 * n2), nCanary: n1, nStable: n2, ties };
}
