/**
 * A log-bucketed latency histogram with 1% relative precision, mergeable across windows and
 * across processes. Percentiles in every report come from these (never averages of averages).
 *
 * Bucket i covers (BASE * GROWTH^(i-1), BASE * GROWTH^i]; values <= BASE land in bucket 0.
 * A percentile is reported as the bucket's geometric midpoint, clamped to the observed min/max,
 * so it is within 0.5% of a true sample value.
 */

export const HISTOGRAM_BASE_MS = 0.001;
export const HISTOGRAM_GROWTH = 1.01;
const LOG_GROWTH = Math.log(HISTOGRAM_GROWTH);

/** The JSON form stored in the journal. `b` is [bucketIndex, count] pairs sorted by index. */
export interface HistogramData {
  n: number;
  sum: number;
  min: number;
  max: number;
  b: Array<[number, number]>;
}

export function bucketOf(ms: number): number {
  if (!(ms > HISTOGRAM_BASE_MS)) return 0;
  return Math.ceil(Math.log(ms / HISTOGRAM_BASE_MS) / LOG_GROWTH);
}

export class Histogram {
  n = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  /** Dense counts by bucket index (about 2,100 buckets cover 1 µs to 1,000 s). */
  private counts: number[] = [];

  static from(data: HistogramData): Histogram {
    const h = new Histogram();
    h.merge(data);
    return h;
  }

  private add(i: number, c: number): void {
    const counts = this.counts;
    while (counts.length <= i) counts.push(0);
    counts[i]! += c;
  }

  record(ms: number, count = 1): void {
    this.add(bucketOf(ms), count);
    this.n += count;
    this.sum += ms * count;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
  }

  merge(other: HistogramData | Histogram): void {
    if (other instanceof Histogram) {
      if (other.n === 0) return;
      other.counts.forEach((c, i) => c && this.add(i, c));
    } else {
      if (other.n === 0) return;
      for (const [i, c] of other.b) this.add(i, c);
    }
    this.n += other.n;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  /** The q-quantile (0..1) in ms, or undefined when empty. */
  quantile(q: number): number | undefined {
    if (this.n === 0) return undefined;
    if (q <= 0) return this.min;
    if (q >= 1) return this.max;
    const rank = Math.ceil(q * this.n);
    let seen = 0;
    const counts = this.counts;
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i]!;
      if (seen >= rank) {
        const mid = i === 0 ? HISTOGRAM_BASE_MS : HISTOGRAM_BASE_MS * HISTOGRAM_GROWTH ** (i - 0.5);
        return Math.min(this.max, Math.max(this.min, mid));
      }
    }
    return this.max;
  }

  mean(): number | undefined {
    return this.n === 0 ? undefined : this.sum / this.n;
  }

  toJSON(): HistogramData {
    if (this.n === 0) return { n: 0, sum: 0, min: 0, max: 0, b: [] };
    const b: Array<[number, number]> = [];
    this.counts.forEach((c, i) => c && b.push([i, c]));
    return { n: this.n, sum: round6(this.sum), min: this.min, max: this.max, b };
  }
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
