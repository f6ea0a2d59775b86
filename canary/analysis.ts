/**
 * Canary analysis: the decision logic, pure (no cluster, no clock, no I/O). Every second the
 * strategy feeds it what each version served in that second and what the canary's pods look
 * like; it answers advance, hold or rollback (STYLE.md's gate chain), with the numbers behind
 * the answer.
 *
 * The test (docs/canary.md states it with its parameters and error rates): Wald's sequential
 * probability ratio test on counts, once for the error rate and once for latency (as a quantile
 * test: the share of successful responses slower than the latency limit), each judged against a
 * limit that combines an absolute threshold and one relative to stable in the same seconds; and
 * a Mann-Whitney U test (canary/rank.ts) on the whole latency distribution against stable's in
 * the same seconds, with a tolerance.
 */
import { Histogram } from '../core/histogram.ts';
import { rankCriticalZ, rankTest, type RankParams, type RankResult } from './rank.ts';

export interface CanaryThresholds {
  /** Absolute: canary error rate <= this (0.01 = 1 %). */
  maxErrorRate: number;
  /** Relative: canary error rate <= stable error rate + this (0.01 = 1 point). */
  maxErrorRateIncrease: number;
  /** Absolute: canary p99 of successful responses <= this, ms. */
  maxP99Ms: number;
  /** Relative: canary p99 <= this x stable p99 ... */
  maxP99Ratio: number;
  /** ... but never a limit tighter than stable p99 + this, ms (sub-ms jitter is not a regression). */
  p99SlackMs: number;
}

export interface TestParams {
  /** Chance of rolling back a canary that sits exactly at its limit, per test and step (Wald's alpha). */
  alpha: number;
  /** Chance of advancing a canary at `effect` x its limit, per test and step (Wald's beta). */
  beta: number;
  /** The alternative hypothesis: a bad canary is `effect` x the limit (p1 = min(effect x p0, p0 + 5 points)). */
  effect: number;
  /** Never advance on fewer canary requests than this in the step. */
  minRequests: number;
  /** Stable p99 is used for the relative latency limit only from this many stable responses on. */
  minStableResponses: number;
}

export interface AnalysisConfig {
  thresholds: CanaryThresholds;
  test: TestParams;
  /** No canary request for this long (s) after the step starts, or since the last one: rollback. */
  noTrafficSeconds: number;
  /** A canary pod not Ready this long after it was created (s): rollback. */
  readyTimeoutSeconds: number;
  /** More container restarts than this across canary pods: rollback (crash loop). */
  maxRestarts: number;
  /** A step lasts at least this long (s) before it may advance. */
  minStepSeconds: number;
  /** A step still undecided after this long (s) takes the more likely answer (truncated test). */
  maxStepSeconds: number;
  /** The rank test on latency (absent: not used). */
  rank?: RankParams;
}

export const DEFAULT_RANK: RankParams = { ratio: 1.2, slackMs: 5, alpha: 0.001, looks: 120, minCanary: 50, minStable: 100 };

export const DEFAULT_THRESHOLDS: CanaryThresholds = { maxErrorRate: 0.01, maxErrorRateIncrease: 0.01, maxP99Ms: 300, maxP99Ratio: 1.5, p99SlackMs: 20 };
export const DEFAULT_TEST: TestParams = { alpha: 0.001, beta: 0.05, effect: 3, minRequests: 50, minStableResponses: 100 };
export const DEFAULT_ANALYSIS: AnalysisConfig = {
  thresholds: DEFAULT_THRESHOLDS,
  test: DEFAULT_TEST,
  noTrafficSeconds: 30,
  readyTimeoutSeconds: 60,
  maxRestarts: 0,
  minStepSeconds: 5,
  maxStepSeconds: 120,
  rank: DEFAULT_RANK,
};

/** What one version served in one second. `latency` = successful responses only. */
export interface VersionSecond {
  requests: number;
  failures: number;
  latency: Histogram;
}

/** The canary's pods as read from the cluster. */
export interface PodHealth {
  pods: number;
  ready: number;
  restarts: number;
  /** Longest time (s) a canary pod has existed without becoming Ready (0 when all are Ready). */
  notReadySeconds: number;
  /** A waiting reason worth naming (CrashLoopBackOff, ImagePullBackOff, ...). */
  waiting?: string;
}

export type DecisionKind = 'advance' | 'hold' | 'rollback';

/** Which check of the chain answered. */
export type DecisionCheck = 'pods' | 'traffic' | 'errors' | 'latency' | 'rank' | 'evidence' | 'time';

export interface Totals {
  canary: { requests: number; failures: number; errorRate?: number; p99?: number; slow: number; responses: number };
  stable: { requests: number; failures: number; errorRate?: number; p99?: number };
}

export interface SprtResult {
  /** Log-likelihood ratio of "bad" (p1) over "at the limit" (p0). */
  llr: number;
  p0: number;
  p1: number;
  /** One-sided binomial p-value of the observed count under p0. */
  pValue: number;
}

export interface Decision {
  kind: DecisionKind;
  check: DecisionCheck;
  /** The sentence a report prints: "canary error rate 21.4 % vs stable 0.1 %, 312 requests, p < 0.001". */
  reason: string;
  /** Seconds of analysis in this step. */
  elapsed: number;
  totals: Totals;
  errors: SprtResult & { limit: number };
  latency: SprtResult & { limitMs: number };
  /** The rank test, once both versions have enough responses in the step. */
  rank?: RankResult & { criticalZ: number };
}

/** Wald's boundaries: reject H0 (rollback) at llr >= upper, accept H0 (healthy) at llr <= lower. */
export function sprtBounds(t: Pick<TestParams, 'alpha' | 'beta'>): { upper: number; lower: number } {
  return { upper: Math.log((1 - t.beta) / t.alpha), lower: Math.log(t.beta / (1 - t.alpha)) };
}

/** SPRT log-likelihood ratio for k events in n trials, H1: p1 vs H0: p0. */
export function llr(k: number, n: number, p0: number, p1: number): number {
  return k * Math.log(p1 / p0) + (n - k) * Math.log((1 - p1) / (1 - p0));
}

function logGamma(x: number): number {
  // Lanczos approximation (g = 7), enough for p-values printed to 3 digits.
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** P(X >= k) for X ~ Binomial(n, p). */
export function binomialTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const logC = (i: number) => logGamma(n + 1) - logGamma(i + 1) - logGamma(n - i + 1);
  let sum = 0;
  let term = Math.exp(logC(k) + k * Math.log(p) + (n - k) * Math.log(1 - p));
  for (let i = k; i <= n; i++) {
    sum += term;
    if (term < sum * 1e-12) break;
    term *= ((n - i) / (i + 1)) * (p / (1 - p));
  }
  return Math.min(1, sum);
}

/** Cap on H1's distance from the limit (see sprt). */
export const MAX_EFFECT_POINTS = 0.05;

function sprt(k: number, n: number, limit: number, effect: number): SprtResult {
  // A limit of 0 would make one event infinitely damning: floor it at 1 in 10,000.
  const p0 = Math.min(0.5, Math.max(limit, 1e-4));
  // H1 is `effect` x the limit, but never more than 5 points above it: with a high limit (a noisy
  // stable), 3 x 6 % = 18 % would let a canary 4 points over its limit pass.
  const p1 = Math.min(0.99, p0 * effect, p0 + MAX_EFFECT_POINTS);
  return { llr: llr(k, n, p0, p1), p0, p1, pValue: binomialTail(k, n, p0) };
}

export function formatPct(x: number | undefined): string {
  if (x === undefined) return 'n/a';
  return `${Number((x * 100).toFixed(x < 0.001 && x > 0 ? 2 : 1))} %`;
}

export function formatP(p: number): string {
  if (p < 0.001) return 'p < 0.001';
  return `p = ${Number(p.toPrecision(2))}`;
}

function ms(x: number | undefined): string {
  return x === undefined ? 'n/a' : `${Number(x.toFixed(x < 10 ? 1 : 0))} ms`;
}

/**
 * One step's analysis: accumulate seconds, judge on demand. A new step (a new weight) starts a
 * new StepAnalysis, so each step's test stands on its own evidence.
 */
export class StepAnalysis {
  readonly config: AnalysisConfig;
  private readonly canary = { requests: 0, failures: 0, latency: new Histogram() };
  private readonly stable = { requests: 0, failures: 0, latency: new Histogram() };
  /** Second (relative to the step start) of the last canary request, or undefined. */
  private lastCanarySecond: number | undefined;
  /** Last time (s since the step started) a canary pod was seen not Ready. */
  private notReadyAt: number | undefined;

  constructor(config: AnalysisConfig = DEFAULT_ANALYSIS) {
    this.config = config;
  }

  /** Add second `s` (seconds since the step started) of both versions' traffic. */
  add(s: number, stable: VersionSecond | undefined, canary: VersionSecond | undefined): void {
    if (stable) {
      this.stable.requests += stable.requests;
      this.stable.failures += stable.failures;
      this.stable.latency.merge(stable.latency);
    }
    if (canary && canary.requests > 0) {
      this.canary.requests += canary.requests;
      this.canary.failures += canary.failures;
      this.canary.latency.merge(canary.latency);
      this.lastCanarySecond = Math.max(this.lastCanarySecond ?? -Infinity, s);
    }
  }

  /** The gate chain, in order; the first check that answers rollback or hold wins. */
  judge(elapsed: number, pods?: PodHealth): Decision {
    const { thresholds: th, test } = this.config;
    const c = this.canary;
    const st = this.stable;
    const stableRate = st.requests ? st.failures / st.requests : undefined;
    // Both limits hold, except when stable itself breaks the absolute one in the same seconds: then
    // the environment (or the load generator) is at fault, not the canary, which is judged
    // relative to stable alone ("no worse than what runs now").
    const relErr = stableRate !== undefined ? stableRate + th.maxErrorRateIncrease : Infinity;
    const errorLimit = stableRate !== undefined && stableRate > th.maxErrorRate ? relErr : Math.min(th.maxErrorRate, relErr);
    const errors = { ...sprt(c.failures, c.requests, errorLimit, test.effect), limit: errorLimit };

    const stableP99 = st.latency.n >= test.minStableResponses ? st.latency.quantile(0.99) : undefined;
    const relMs = stableP99 !== undefined ? Math.max(th.maxP99Ratio * stableP99, stableP99 + th.p99SlackMs) : Infinity;
    const limitMs = stableP99 !== undefined && stableP99 > th.maxP99Ms ? relMs : Math.min(th.maxP99Ms, relMs);
    const slow = c.latency.countAbove(limitMs);
    const latency = { ...sprt(slow, c.latency.n, 0.01, test.effect), limitMs };

    const totals: Totals = {
      canary: { requests: c.requests, failures: c.failures, ...(c.requests ? { errorRate: c.failures / c.requests } : {}), ...(c.latency.n ? { p99: c.latency.quantile(0.99) } : {}), slow, responses: c.latency.n },
      stable: { requests: st.requests, failures: st.failures, ...(stableRate !== undefined ? { errorRate: stableRate } : {}), ...(stableP99 !== undefined ? { p99: stableP99 } : {}) },
    };
    const rp = this.config.rank;
    const rr = rp && c.latency.n >= rp.minCanary && st.latency.n >= rp.minStable ? rankTest(c.latency, st.latency, rp.ratio, rp.slackMs) : undefined;
    const rank = rr && rp ? { ...rr, criticalZ: rankCriticalZ(rp) } : undefined;
    const decide = (kind: DecisionKind, check: DecisionCheck, reason: string): Decision => ({ kind, check, reason, elapsed, totals, errors, latency, ...(rank ? { rank } : {}) });
    const { upper, lower } = sprtBounds(test);

    if (pods) {
      if (pods.restarts > this.config.maxRestarts) return decide('rollback', 'pods', `canary pods restarted ${pods.restarts} time(s)${pods.waiting ? ` (${pods.waiting})` : ''}`);
      if (pods.notReadySeconds > this.config.readyTimeoutSeconds) {
        return decide('rollback', 'pods', `canary pod not Ready after ${Math.round(pods.notReadySeconds)} s${pods.waiting ? ` (${pods.waiting})` : ''} (deadline ${this.config.readyTimeoutSeconds} s)`);
      }
    }
    const errText = () => `canary error rate ${formatPct(totals.canary.errorRate)} vs stable ${formatPct(stableRate)} (limit ${formatPct(errorLimit)}), ${c.requests} requests, ${formatP(errors.pValue)}`;
    if (errors.llr >= upper) return decide('rollback', 'errors', errText());
    const latText = () => `canary p99 ${ms(totals.canary.p99)} vs stable ${ms(stableP99)}: ${slow} of ${c.latency.n} responses slower than ${ms(limitMs)}, ${formatP(latency.pValue)}`;
    // A latency verdict needs stable's p99 in the same seconds (a slow moment for everyone, e.g. a
    // starved load generator, is not the canary's fault): until then, hold.
    if (latency.llr >= upper) return stableP99 !== undefined ? decide('rollback', 'latency', latText()) : decide('hold', 'latency', `waiting for a stable latency baseline (${st.latency.n} of ${test.minStableResponses} stable responses): ${latText()}`);
    if (rank && rp && rank.z >= rank.criticalZ) {
      return decide(
        'rollback',
        'rank',
        `canary slower than stable: Mann-Whitney z = ${rank.z.toFixed(1)} (limit ${rank.criticalZ.toFixed(2)}), P(canary slower than stable × ${rp.ratio} + ${rp.slackMs} ms) = ${rank.effect.toFixed(2)}, median ${ms(c.latency.quantile(0.5))} vs ${ms(st.latency.quantile(0.5))}, ${rank.nCanary} vs ${rank.nStable} responses, ${formatP(rank.pValue)}`,
      );
    }
    if (pods && pods.ready < pods.pods) {
      // The no-traffic clock runs from when the canary could receive traffic.
      this.notReadyAt = elapsed;
      return decide('hold', 'pods', `waiting for canary pods to be Ready: ${pods.ready} of ${pods.pods}${pods.waiting ? ` (${pods.waiting})` : ''}`);
    }
    const quiet = elapsed - Math.max(this.lastCanarySecond === undefined ? 0 : this.lastCanarySecond + 1, this.notReadyAt ?? 0);
    if (quiet >= this.config.noTrafficSeconds) {
      return decide('rollback', 'traffic', `no traffic reaches the canary: no request for ${Math.round(quiet)} s (deadline ${this.config.noTrafficSeconds} s)`);
    }
    if (c.requests < test.minRequests) return decide(elapsed >= this.config.maxStepSeconds ? 'rollback' : 'hold', 'evidence', `not enough requests yet: ${c.requests} of ${test.minRequests} to the canary`);
    const healthy = errors.llr <= lower && latency.llr <= lower;
    if (healthy && elapsed >= this.config.minStepSeconds) {
      return decide('advance', 'evidence', `canary healthy: error rate ${formatPct(totals.canary.errorRate)} vs stable ${formatPct(stableRate)}, p99 ${ms(totals.canary.p99)} vs ${ms(stableP99)}, ${c.requests} requests`);
    }
    if (elapsed >= this.config.maxStepSeconds) {
      // Truncated SPRT: out of time, take the more likely hypothesis (the llr's sign).
      if (errors.llr > 0) return decide('rollback', 'time', `undecided after ${this.config.maxStepSeconds} s, more likely bad than at the limit: ${errText()}`);
      if (latency.llr > 0) return decide('rollback', 'time', `undecided after ${this.config.maxStepSeconds} s, more likely bad than at the limit: ${latText()}`);
      return decide('advance', 'time', `undecided after ${this.config.maxStepSeconds} s, more likely healthy: error rate ${formatPct(totals.canary.errorRate)} vs stable ${formatPct(stableRate)}, p99 ${ms(totals.canary.p99)} vs ${ms(stableP99)}, ${c.requests} requests`);
    }
    return decide('hold', healthy ? 'time' : 'evidence', healthy ? `healthy so far; step lasts at least ${this.config.minStepSeconds} s` : `undecided: ${errText()}`);
  }
}
