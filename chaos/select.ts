/** Choosing fault targets: reproducible (seeded) and never wider than the user asked. */
import { rng } from '../core/random.ts';
export { rng } from '../core/random.ts';

export type SelectMode = 'one' | 'all' | 'fixed' | 'fixed-percent' | 'random-percent';
export const SELECT_MODES = ['one', 'all', 'fixed', 'fixed-percent', 'random-percent'] as const;


/** How many of `n` candidates a mode selects (`random-percent`: 1 up to value %, drawn from `draw`). */
export function countFor(mode: SelectMode, n: number, value = 1, draw: () => number = () => 0.999999): number {
  if (n === 0) return 0;
  switch (mode) {
    case 'one':
      return 1;
    case 'all':
      return n;
    case 'fixed':
      return Math.min(n, Math.max(0, Math.floor(value)));
    case 'fixed-percent':
      return Math.min(n, Math.max(1, Math.floor((n * value) / 100)));
    case 'random-percent':
      return 1 + Math.floor(draw() * Math.min(n, Math.max(1, Math.floor((n * value) / 100))));
  }
}

/** Pick victims from candidates sorted by name, so the choice depends only on the seed. */
export function pick<T extends { name: string }>(candidates: readonly T[], mode: SelectMode, value: number | undefined, seed: number): T[] {
  const pool = [...candidates].sort((a, b) => a.name.localeCompare(b.name));
  const next = rng(seed);
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, countFor(mode, pool.length, value, next));
}
