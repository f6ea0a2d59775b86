import { describe, expect, it } from 'vitest';
import { countFor, pick } from './select.ts';

const pods = ['d', 'a', 'c', 'b', 'e'].map((name) => ({ name }));

describe('fault target selection', () => {
  it('is reproducible for a seed and independent of input order', () => {
    expect(pick(pods, 'fixed', 2, 42)).toEqual(pick([...pods].reverse(), 'fixed', 2, 42));
  });
  it('never selects more than asked or more than exist', () => {
    expect(pick(pods, 'one', undefined, 1)).toHaveLength(1);
    expect(pick(pods, 'all', undefined, 1)).toHaveLength(5);
    expect(pick(pods, 'fixed', 9, 1)).toHaveLength(5);
    expect(countFor('fixed-percent', 5, 40)).toBe(2);
    expect(countFor('fixed-percent', 5, 1)).toBe(1);
    expect(countFor('one', 0)).toBe(0);
  });
});

describe('random up to a percent', () => {
  it('picks between one and the percent, varying with the seed', () => {
    const many = Array.from({ length: 20 }, (_, i) => ({ name: `p${i}` }));
    const sizes = new Set<number>();
    for (let seed = 1; seed <= 40; seed++) {
      const n = pick(many, 'random-percent', 25, seed).length;
      expect(n).toBeGreaterThanOrEqual(1);
      expect(n).toBeLessThanOrEqual(5);
      sizes.add(n);
    }
    expect(sizes.size).toBeGreaterThan(1);
  });
});
