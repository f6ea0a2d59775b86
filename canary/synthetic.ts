/**
 * Synthetic traffic for the decision logic's tests and the simulation benchmark: seeded,
 * deterministic seconds of requests for one version (binomial errors, log-normal latency).
 */
import { Histogram } from '../core/histogram.ts';
import type { VersionSecond } from './analysis.ts';
import { rng } from '../core/random.ts';
export { rng } from '../core/random.ts';


export interface VersionModel {
  /** Probability that a request fails. */
  errorRate: number;
  /** Median latency of successful responses, ms. */
  medianMs: number;
  /** Log-normal shape (sigma of ln latency); 0.35 puts p99 near 2.3 x median. */
  sigma?: number;
  /** Added to every successful response, ms. */
  extraMs?: number;
}

/** Poisson-ish arrivals: `rate` requests/s on average, drawn per second. */
export function arrivals(rate: number, rand: () => number): number {
  // Normal approximation to Poisson above 30/s, Knuth's method below.
  if (rate > 30) return Math.max(0, Math.round(rate + Math.sqrt(rate) * gaussian(rand)));
  const l = Math.exp(-rate);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rand();
  } while (p > l);
  return k - 1;
}

export function gaussian(rand: () => number): number {
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** One second of `n` requests served by a version behaving like `m` (histogram at `schema`: k6 windows use K6_SCHEMA). */
export function second(n: number, m: VersionModel, rand: () => number, schema?: number): VersionSecond {
  const latency = new Histogram(schema);
  let failures = 0;
  const sigma = m.sigma ?? 0.35;
  for (let i = 0; i < n; i++) {
    if (rand() < m.errorRate) failures++;
    else latency.record(m.medianMs * Math.exp(sigma * gaussian(rand)) + (m.extraMs ?? 0));
  }
  return { requests: n, failures, latency };
}
