import { describe, expect, it } from 'vitest';
import { Histogram, K6_SCHEMA } from '../core/histogram.ts';
import { DEFAULT_ANALYSIS, StepAnalysis, type AnalysisConfig } from './analysis.ts';
import { criticalZ, normalSf, rankCriticalZ, rankTest } from './rank.ts';
import { gaussian, rng, second, type VersionModel } from './synthetic.ts';

const hist = (xs: number[], schema?: number) => {
  const h = new Histogram(schema);
  for (const x of xs) h.record(x);
  return h;
};
const READY = { pods: 1, ready: 1, restarts: 0, notReadySeconds: 0 };

describe('Mann-Whitney U on bucketed latency', () => {
  it('computes U with midranks and the tie-corrected variance (a textbook case)', () => {
    // canary 10, 20, 30 vs stable 20, 30, 40: combined ranks 1, 2.5, 2.5, 4.5, 4.5, 6.
    const r = rankTest(hist([10, 20, 30]), hist([20, 30, 40]))!;
    expect(r.u).toBe(2); // R1 = 1 + 2.5 + 4.5 = 8; U = 8 - 3 x 4 / 2
    expect(r.ties).toBe(12); // two pairs tied: 2 x (2^3 - 2)
    // Var(U) = 3 x 3 / 12 x (7 - 12 / 30) = 4.95
    expect(r.z).toBeCloseTo((2 - 4.5 - 0.5) / Math.sqrt(4.95), 10);
    expect(r.effect).toBeCloseTo(2 / 9, 10);
  });

  it('treats responses within one bucket as tied (the bucket is all the window knows)', () => {
    // 100 and 101 ms share a bucket at k6's resolution (k6 windows): no difference at all.
    const r = rankTest(hist(Array(60).fill(101), K6_SCHEMA), hist(Array(200).fill(100), K6_SCHEMA))!;
    expect(r.u).toBe((60 * 200) / 2);
    expect(r.z).toBe(0); // one tie group: no variance, nothing to reject
    // At a finer resolution they are apart (the coarser of the two decides).
    expect(rankTest(hist(Array(60).fill(101)), hist(Array(200).fill(100)))!.u).toBe(60 * 200);
    expect(rankTest(hist(Array(60).fill(101)), hist(Array(200).fill(100), K6_SCHEMA))!.u).toBe((60 * 200) / 2);
  });

  it('the normal tail and its inverse agree', () => {
    expect(normalSf(1.959964)).toBeCloseTo(0.025, 5);
    expect(criticalZ(0.001)).toBeCloseTo(3.0902, 3);
    expect(normalSf(criticalZ(1e-6)) / 1e-6).toBeCloseTo(1, 1);
    expect(rankCriticalZ({ alpha: 0.001, looks: 120 })).toBeCloseTo(4.31, 2);
  });

  it('is calibrated on bucketed data: same distributions reject at the nominal rate', () => {
    const rand = rng(7);
    const draw = (n: number) => hist(Array.from({ length: n }, () => 8 * Math.exp(0.35 * gaussian(rand))));
    const z05 = criticalZ(0.05);
    let rejects = 0;
    const trials = 2000;
    for (let i = 0; i < trials; i++) if (rankTest(draw(60), draw(300))!.z >= z05) rejects++;
    // Binomial(2000, 0.05): sd 0.5 point. Ties and the continuity correction keep it at or below 5 %.
    expect(rejects / trials).toBeGreaterThan(0.03);
    expect(rejects / trials).toBeLessThanOrEqual(0.06);
  });
});

describe('the rank test as a gate of the chain', () => {
  const STABLE: VersionModel = { errorRate: 0, medianMs: 40, sigma: 0.4 };
  function run(canary: VersionModel, config: AnalysisConfig = DEFAULT_ANALYSIS, seconds = 60) {
    const rand = rng(3);
    const a = new StepAnalysis(config);
    for (let s = 0; s < seconds; s++) {
      a.add(s, second(180, STABLE, rand), second(20, canary, rand));
      const d = a.judge(s + 1, READY);
      if (d.kind !== 'hold') return { d, at: s + 1 };
    }
    return { d: a.judge(seconds, READY), at: Infinity };
  }

  it('rolls back a canary slower across the board whose tail stays inside the p99 limit', () => {
    // Median 64 ms vs 40 (1.6 x), but a tighter spread: p99 about 100 ms, under the p99 limit
    // (1.5 x stable's ~100 ms), so only the rank test sees it.
    const { d, at } = run({ errorRate: 0, medianMs: 64, sigma: 0.18 });
    expect(d.kind).toBe('rollback');
    expect(d.check).toBe('rank');
    expect(d.latency.llr).toBeLessThan(0);
    expect(d.reason).toMatch(/^canary slower than stable: Mann-Whitney z = [\d.]+ \(limit 4\.31\), P\(canary slower than stable × 1\.2 \+ 5 ms\) = 0\.\d+, median \d+ ms vs \d+ ms, \d+ vs \d+ responses, p < 0\.001$/);
    expect(at).toBeLessThanOrEqual(10);
    // Without the rank test the same canary is promoted.
    expect(run({ errorRate: 0, medianMs: 64, sigma: 0.18 }, { ...DEFAULT_ANALYSIS, rank: undefined }).d.kind).toBe('advance');
  });

  it('tolerates a canary within stable x 1.2 + 5 ms', () => {
    const { d } = run({ errorRate: 0, medianMs: 44, sigma: 0.4 });
    expect(d.kind).toBe('advance');
    expect(d.rank!.z).toBeLessThan(d.rank!.criticalZ);
  });

  it('rolls back a canary 200 ms slower', () => {
    const { d, at } = run({ errorRate: 0, medianMs: 40, sigma: 0.4, extraMs: 200 });
    expect(d.kind).toBe('rollback');
    expect(['latency', 'rank']).toContain(d.check);
    expect(at).toBeLessThanOrEqual(6);
  });
});
