import { describe, expect, it } from 'vitest';
import { bucketOf, Histogram, K6_SCHEMA, legacyToSchema, quantilePrecision, upperMs } from './histogram.ts';

const values = Array.from({ length: 10_000 }, (_, i) => 1 + ((i * 7919) % 1000));
const exactQuantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.ceil(q * xs.length) - 1]!;

describe('histogram', () => {
  it('uses Prometheus native-histogram buckets over seconds: bucket i is (2^((i-1)/8), 2^(i/8)] s at schema 3', () => {
    expect(bucketOf(1000, 3)).toBe(0); // 1 s is the upper bound of bucket 0
    expect(bucketOf(1000.001, 3)).toBe(1);
    expect(bucketOf(2000, 3)).toBe(8);
    expect(bucketOf(500, 3)).toBe(-8);
    expect(bucketOf(0)).toBeUndefined();
    expect(upperMs(-8, 3)).toBeCloseTo(500, 9);
  });

  it('gives schema-3 (k6) percentiles within 4.5 % and schema-8 (probe) percentiles within 0.2 %', () => {
    expect(quantilePrecision(3)).toBeCloseTo(0.0443, 3);
    for (const [schema, bound] of [[3, 0.045], [8, 0.002]] as const) {
      const h = new Histogram(schema);
      values.forEach((x) => h.record(x));
      for (const q of [0.5, 0.9, 0.95, 0.99]) {
        const exact = exactQuantile(values, q);
        expect(Math.abs(h.quantile(q)! - exact) / exact).toBeLessThan(bound);
      }
      expect(h.quantile(1)).toBe(1000);
    }
  });

  it('merging windows equals recording everything once', () => {
    const a = new Histogram(K6_SCHEMA);
    const b = new Histogram(K6_SCHEMA);
    const all = new Histogram(K6_SCHEMA);
    for (let i = 0; i < 500; i++) {
      (i % 2 ? a : b).record(i * 0.37);
      all.record(i * 0.37);
    }
    const merged = Histogram.from(a.toJSON());
    merged.merge(b.toJSON());
    expect(merged.toJSON()).toEqual(all.toJSON());
    expect(merged.toJSON().z).toBe(1); // the 0 ms value
  });

  it('merging two schemas downscales exactly to the coarser one', () => {
    const fine = new Histogram(8);
    const coarse = new Histogram(3);
    const direct = new Histogram(3);
    for (let i = 1; i < 2000; i++) {
      const ms = 0.05 * i ** 1.3;
      (i % 3 ? fine : coarse).record(ms);
      direct.record(ms);
    }
    const m = new Histogram();
    m.merge(fine.toJSON());
    expect(m.schema).toBe(8);
    m.merge(coarse.toJSON());
    expect(m.schema).toBe(3);
    expect(m.toJSON()).toEqual(direct.toJSON());
  });

  it('reads journals written before schema buckets (1.01 log buckets over ms) into schema 3', () => {
    // 10 ms and 100 ms in the old buckets: ceil(ln(ms / 0.001) / ln(1.01)).
    const old = { n: 3, sum: 210, min: 10, max: 100, b: [[Math.ceil(Math.log(1e4) / Math.log(1.01)), 1], [Math.ceil(Math.log(1e5) / Math.log(1.01)), 2]] as Array<[number, number]> };
    const h = Histogram.from(old);
    expect(h.schema).toBe(3);
    expect(legacyToSchema(old).b).toEqual([[bucketOf(10)!, 1], [bucketOf(100)!, 2]]);
    expect(h.quantile(0.5)! / 100).toBeCloseTo(1, 1);
  });

  it('is empty-safe', () => {
    expect(new Histogram().quantile(0.99)).toBeUndefined();
    expect(new Histogram().toJSON().n).toBe(0);
  });
});
