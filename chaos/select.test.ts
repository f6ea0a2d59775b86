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
