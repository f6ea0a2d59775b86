/** Fixed-size bitsets over a universe of n elements, as Uint32Array words: word-parallel set algebra. */
export type Bits = Uint32Array;

export function bits(n: number): Bits {
  return new Uint32Array((n + 31) >>> 5);
}

/**
 * Arrays of one length, given back when done and handed out again zeroed. A universe-wide bitset
 * made new for each source or list is an ArrayBuffer, and V8 bounds their memory with full
 * collections: at 100,000 pods, 72 in a 70 s run before the analysis reused them, 20 after
 * (bench/results/policies.md, session 11). Keeps at most `max` spare.
 */
export class Pool<T extends Uint32Array | Int32Array> {
  private readonly free: T[] = [];
  private readonly make: () => T;
  private readonly max: number;
  constructor(make: () => T, max: number) {
    this.make = make;
    this.max = max;
  }
  take(): T {
    const a = this.free.pop();
    return a ? (a.fill(0) as T) : this.make();
  }
  give(a: T): void {
    if (this.free.length < this.max) this.free.push(a);
  }
}

export function full(n: number): Bits {
  const b = bits(n);
  b.fill(0xffffffff);
  const rest = n & 31;
  if (rest) b[b.length - 1] = (1 << rest) - 1;
  return b;
}

export function set(b: Bits, i: number): void {
  b[i >>> 5]! |= 1 << (i & 31);
}

export function test(b: Bits, i: number): boolean {
  return (b[i >>> 5]! & (1 << (i & 31))) !== 0;
}

/** Set bits lo..hi inclusive. */
export function setRange(b: Bits, lo: number, hi: number): void {
  for (let i = lo; i <= hi; ) {
    if ((i & 31) === 0 && i + 31 <= hi) {
      b[i >>> 5] = 0xffffffff;
      i += 32;
    } else {
      b[i >>> 5]! |= 1 << (i & 31);
      i++;
    }
  }
}

export function orInto(dst: Bits, src: Bits): void {
  for (let i = 0; i < dst.length; i++) dst[i]! |= src[i]!;
}



export function and(a: Bits, b: Bits): Bits {
  const out = new Uint32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! & b[i]!;
  return out;
}

export function or(a: Bits, b: Bits): Bits {
  const out = new Uint32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! | b[i]!;
  return out;
}




/** The words that may be non-zero: [first non-zero word, last non-zero word + 1), or [0, 0). */
export function wordBounds(b: Bits): [number, number] {
  let lo = 0, hi = b.length;
  while (lo < hi && !b[lo]) lo++;
  while (hi > lo && !b[hi - 1]) hi--;
  return [lo, hi];
}

/** How many bits `a` and `b` both have set at or after `from`. */
export function countAnd(a: Bits, b: Bits, from: number): number {
  let w = from >>> 5;
  if (w >= a.length) return 0;
  let n = popcount(a[w]! & b[w]! & (~0 << (from & 31)));
  for (w++; w < a.length; w++) if (a[w]! & b[w]!) n += popcount(a[w]! & b[w]!);
  return n;
}

export function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** The first set bit at or after `from`, or -1. */
export function nextSet(b: Bits, from: number): number {
  let w = from >>> 5;
  if (w >= b.length) return -1;
  let word = b[w]! & (~0 << (from & 31));
  while (!word) {
    if (++w >= b.length) return -1;
    word = b[w]!;
  }
  return (w << 5) + (31 - Math.clz32(word & -word));
}
