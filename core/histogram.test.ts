import { describe, expect, it } from 'vitest';
import { Histogram } from './histogram.ts';

describe('histogram', () => {
  it('gives percentiles within 1% of the exact sample values', () => {
    const h = new Histogram();
    const xs = Array.from({ length: 10_000 }, (_, i) => 1 + (i * 7919) % 1000);
    xs.forEach((x) => h.record(x));
    const sorted = [...xs].sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.95, 0.99]) {
      const exact = sorted[Math.ceil(q * xs.length) - 1]!;
      expect(Math.abs(h.quantile(q)! - exact) / exact).toBeLessThan(0.01);
    }
    expect(h.quantile(1)).toBe(1000);
  });

  it('merging windows equals recording everything once', () => {
    const a = new Histogram();
    const b = new Histogram();
    const all = new Histogram();
    for (let i = 0; i < 500; i++) {
      (i % 2 ? a : b).record(i * 0.37);
      all.record(i * 0.37);
    }
    const merged = Histogram.from(a.toJSON());
    merged.merge(b.toJSON());
    expect(merged.toJSON()).toEqual(all.toJSON());
  });

  it('is empty-safe', () => {
    expect(new Histogram().quantile(0.99)).toBeUndefined();
    expect(new Histogram().toJSON().n).toBe(0);
  });
});
