import { describe, expect, it } from 'vitest';
import { binomialTail, DEFAULT_ANALYSIS, StepAnalysis, sprtBounds, type AnalysisConfig, type Decision, type PodHealth } from './analysis.ts';
import { rng, second, type VersionModel } from './synthetic.ts';

const STABLE: VersionModel = { errorRate: 0.001, medianMs: 8 };
const READY: PodHealth = { pods: 1, ready: 1, restarts: 0, notReadySeconds: 0 };

/** Feed `seconds` of traffic (total rate, canary share) and return the first non-hold decision. */
function run(canary: VersionModel, o: { rate?: number; share?: number; seconds?: number; seed?: number; config?: AnalysisConfig; stable?: VersionModel } = {}): { decision: Decision; at: number; holds: Decision[] } {
  const rand = rng(o.seed ?? 1);
  const a = new StepAnalysis(o.config ?? DEFAULT_ANALYSIS);
  const rate = o.rate ?? 200;
  const share = o.share ?? 0.1;
  const holds: Decision[] = [];
  for (let s = 0; s < (o.seconds ?? 120); s++) {
    a.add(s, second(Math.round(rate * (1 - share)), o.stable ?? STABLE, rand), second(Math.round(rate * share), canary, rand));
    const d = a.judge(s + 1, READY);
    if (d.kind !== 'hold') return { decision: d, at: s + 1, holds };
    holds.push(d);
  }
  return { decision: a.judge(o.seconds ?? 120, READY), at: Infinity, holds };
}

describe('canary decision logic', () => {
  it('rolls back a canary serving 20 % errors within a few seconds of traffic, naming the numbers', () => {
    const { decision, at } = run({ errorRate: 0.2, medianMs: 8 });
    expect(decision.kind).toBe('rollback');
    expect(decision.check).toBe('errors');
    expect(at).toBeLessThanOrEqual(5);
    expect(decision.reason).toMatch(/^canary error rate \d+(\.\d)? % vs stable [\d.]+ % \(limit 1 %\), \d+ requests, p < 0\.001$/);
  });

  it('holds while the canary has too few requests, then advances a healthy canary', () => {
    const { decision, holds } = run({ errorRate: 0.001, medianMs: 8 });
    expect(holds[0]!.reason).toMatch(/^not enough requests yet: 20 of 50/);
    expect(decision.kind).toBe('advance');
    expect(decision.reason).toMatch(/^canary healthy/);
  });

  it('judges relative to stable in the same seconds: canary <= stable + 1 point', () => {
    const config = { ...DEFAULT_ANALYSIS, thresholds: { ...DEFAULT_ANALYSIS.thresholds, maxErrorRate: 0.5 } };
    const noisy: VersionModel = { errorRate: 0.05, medianMs: 8 };
    // Same error rate as a (noisy) stable: fine.
    expect(run({ errorRate: 0.05, medianMs: 8 }, { stable: noisy, config, share: 0.5 }).decision.kind).toBe('advance');
    // 5 points worse than stable: rolled back although far below the absolute 50 %.
    const bad = run({ errorRate: 0.1, medianMs: 8 }, { stable: noisy, config });
    expect(bad.decision.kind).toBe('rollback');
    expect(bad.decision.errors.limit).toBeCloseTo(0.06, 2);
  });

  it('rolls back a canary 200 ms slower (quantile test on p99), not one 2 ms slower', () => {
    const slow = run({ errorRate: 0, medianMs: 8, extraMs: 200 });
    expect(slow.decision.kind).toBe('rollback');
    expect(slow.decision.check).toBe('latency');
    expect(slow.decision.reason).toMatch(/slower than/);
    expect(slow.at).toBeLessThanOrEqual(3);
    expect(run({ errorRate: 0, medianMs: 8, extraMs: 2 }).decision.kind).toBe('advance');
  });

  it('when stable breaks an absolute limit too, the canary is judged relative to stable alone', () => {
    const slow: VersionModel = { errorRate: 0, medianMs: 400 };
    const same = run({ errorRate: 0, medianMs: 400 }, { stable: slow, seed: 4 }).decision;
    expect(same.kind).toBe('advance');
    expect(same.latency.limitMs).toBeGreaterThan(300);
    const worse = run({ errorRate: 0, medianMs: 400, extraMs: 1500 }, { stable: slow }).decision;
    expect(worse).toMatchObject({ kind: 'rollback', check: 'latency' });
    const noisy: VersionModel = { errorRate: 0.03, medianMs: 8 };
    expect(run({ errorRate: 0.03, medianMs: 8 }, { stable: noisy, share: 0.5, seed: 5 }).decision.kind).toBe('advance');
    expect(run({ errorRate: 0.1, medianMs: 8 }, { stable: noisy }).decision).toMatchObject({ kind: 'rollback', check: 'errors' });
  });

  it('a latency rollback waits for stable\'s p99 in the same seconds', () => {
    const a = new StepAnalysis(DEFAULT_ANALYSIS);
    const rand = rng(9);
    a.add(0, second(50, STABLE, rand), second(60, { errorRate: 0, medianMs: 8, extraMs: 400 }, rand));
    expect(a.judge(1, READY)).toMatchObject({ kind: 'hold', check: 'latency' });
    expect(a.judge(1, READY).reason).toMatch(/^waiting for a stable latency baseline \(50 of 100 stable responses\)/);
    a.add(1, second(60, STABLE, rand), undefined);
    expect(a.judge(2, READY)).toMatchObject({ kind: 'rollback', check: 'latency' });
  });

  it('no traffic reaching the canary is a failure after the deadline, a hold before', () => {
    const config = { ...DEFAULT_ANALYSIS, noTrafficSeconds: 10 };
    const a = new StepAnalysis(config);
    const rand = rng(3);
    let d: Decision | undefined;
    for (let s = 0; s < 10; s++) {
      a.add(s, second(100, STABLE, rand), undefined);
      d = a.judge(s + 1, READY);
      if (s < 9) expect(d.kind).toBe('hold');
    }
    expect(d!.kind).toBe('rollback');
    expect(d!.reason).toBe('no traffic reaches the canary: no request for 10 s (deadline 10 s)');
  });

  it('the no-traffic clock starts when the canary pods are Ready', () => {
    const a = new StepAnalysis({ ...DEFAULT_ANALYSIS, noTrafficSeconds: 10 });
    expect(a.judge(8, { pods: 1, ready: 0, restarts: 0, notReadySeconds: 8 }).reason).toMatch(/^waiting for canary pods to be Ready: 0 of 1/);
    expect(a.judge(17, READY).kind).toBe('hold');
    expect(a.judge(18, READY).kind).toBe('rollback');
  });

  it('reads failures from the pods: restarts and a missed Ready deadline roll back', () => {
    const a = new StepAnalysis(DEFAULT_ANALYSIS);
    expect(a.judge(6, { pods: 1, ready: 0, restarts: 1, notReadySeconds: 6, waiting: 'CrashLoopBackOff' })).toMatchObject({ kind: 'rollback', check: 'pods', reason: 'canary pods restarted 1 time(s) (CrashLoopBackOff)' });
    const b = new StepAnalysis({ ...DEFAULT_ANALYSIS, readyTimeoutSeconds: 15 });
    expect(b.judge(10, { pods: 1, ready: 0, restarts: 0, notReadySeconds: 10 }).kind).toBe('hold');
    expect(b.judge(16, { pods: 1, ready: 0, restarts: 0, notReadySeconds: 16 })).toMatchObject({ kind: 'rollback', check: 'pods' });
  });

  it('a step still undecided at its maximum takes the more likely answer (truncated test)', () => {
    // 2 req/s to the canary: 40 requests in 20 s cannot prove either hypothesis.
    const config = { ...DEFAULT_ANALYSIS, maxStepSeconds: 20, test: { ...DEFAULT_ANALYSIS.test, minRequests: 20 } };
    const bad = run({ errorRate: 0.08, medianMs: 8 }, { rate: 20, config, seed: 7 });
    expect(bad.decision).toMatchObject({ kind: 'rollback', check: 'time' });
    expect(bad.decision.reason).toMatch(/^undecided after 20 s, more likely bad/);
    const good = run({ errorRate: 0, medianMs: 8 }, { rate: 20, config, seed: 7 });
    expect(good.decision).toMatchObject({ kind: 'advance', check: 'time' });
    expect(good.at).toBe(20);
  });

  it('binomial tail and Wald bounds', () => {
    expect(binomialTail(1, 1, 0.3)).toBeCloseTo(0.3, 10);
    expect(binomialTail(2, 3, 0.5)).toBeCloseTo(0.5, 10);
    expect(binomialTail(0, 10, 0.1)).toBe(1);
    expect(binomialTail(5, 100, 0.01)).toBeCloseTo(0.00343, 4);
    const b = sprtBounds({ alpha: 0.001, beta: 0.05 });
    expect(b.upper).toBeCloseTo(Math.log(0.95 / 0.001), 10);
    expect(b.lower).toBeCloseTo(Math.log(0.05 / 0.999), 10);
  });
});
