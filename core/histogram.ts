/**
 * Latency histograms in Prometheus native-histogram buckets, mergeable across windows, versions
 * and runs. Percentiles in every report come from these (never averages of averages).
 *
 * Bucket index i at schema s covers (2^((i-1)/2^s), 2^(i/2^s)] SECONDS: the buckets k6's
 * `experimental-prometheus-rw` output pushes (schema 3, ratio 2^(1/8) ≈ 1.0905), kept as they
 * come, never re-bucketed into finer ones (that would invent precision). The API speaks ms
 * (`record(ms)`, `quantile` → ms); only the bucket grid is defined on seconds, so the mapping
 * is exact. Values ≤ 0 land in the zero bucket.
 *
 * Merging two schemas downscales the finer one to the coarser, exactly (every fine bucket lies
 * inside one coarse bucket), as Prometheus does. A fresh histogram starts at MAX_SCHEMA and
 * takes the schema of the coarsest data merged into it, so probes that record their own samples
 * keep schema 8 (ratio 2^(1/256), 0.14 %) and k6 windows stay at schema 3.
 *
 * A quantile is reported as its bucket's geometric midpoint, clamped to the observed min/max: at
 * schema s it is within a factor 2^(1/2^(s+1)) of the true sample value (schema 3: ±4.4 %).
 */

/** The schema of k6's native histograms (client_golang bucket factor 1.1). */
export const K6_SCHEMA = 3;
/** Prometheus's finest schema. */
export const MAX_SCHEMA = 8;
export const MIN_SCHEMA = -4;

/** The JSON form stored in the journal. `b` is [bucketIndex, count] pairs sorted by index. */
export interface HistogramData {
  /**
   * Bucket schema (see above). Absent in journals written before schema buckets: their `b` are
   * 1.01-growth log buckets over ms (base 0.001 ms), converted on read (see `legacyToSchema`).
   */
  schema?: number;
  n: number;
  /** Sum of values, ms. */
  sum: number;
  /** Smallest / largest value, ms (for k6 windows: the bounds of the lowest / highest bucket). */
  min: number;
  max: number;
  b: Array<[number, number]>;
  /** Count in the zero bucket (values ≤ 0). */
  z?: number;
}

/** Relative precision of a quantile at a schema: half a bucket, in log space. */
export function quantilePrecision(schema: number): number {
  return 2 ** (1 / 2 ** (schema + 1)) - 1;
}

/** The bucket index of a value in ms at a schema (undefined for the zero bucket). */
export function bucketOf(ms: number, schema: number = K6_SCHEMA): number | undefined {
  if (!(ms > 0)) return undefined;
  const i = Math.ceil(Math.log2(ms / 1000) * 2 ** schema);
  // Float rounding at exact bucket bounds: the bound belongs to the lower bucket.
  return upperMs(i - 1, schema) >= ms ? i - 1 : i;
}

/** Upper bound of bucket i, ms. */
export function upperMs(i: number, schema: number): number {
  return 1000 * 2 ** (i / 2 ** schema);
}

/** Bucket i at `from` → the bucket containing it at the coarser schema `to` (exact). */
export function downscaleIndex(i: number, from: number, to: number): number {
  const d = from - to;
  return d <= 0 ? i : Math.floor((i - 1) / 2 ** d) + 1;
}

const LEGACY_BASE_MS = 0.001;
const LEGACY_GROWTH = 1.01;

/**
 * Old journals (before schema buckets): each 1.01-growth bucket goes whole into the schema-3
 * bucket holding its geometric midpoint. This coarsens (never refines); a quantile from it may be
 * off by the old bucket's 1 % on top of schema 3's ±4.4 %. Documented in docs/load.md.
 */
export function legacyToSchema(data: HistogramData, schema = K6_SCHEMA): HistogramData {
  const b = new Map<number, number>();
  let z = 0;
  for (const [i, c] of data.b) {
    const mid = i === 0 ? LEGACY_BASE_MS : LEGACY_BASE_MS * LEGACY_GROWTH ** (i - 0.5);
    const j = bucketOf(mid, schema);
    if (j === undefined) z += c;
    else b.set(j, (b.get(j) ?? 0) + c);
  }
  return { schema, n: data.n, sum: data.sum, min: data.min, max: data.max, b: [...b.entries()].sort((x, y) => x[0] - y[0]), ...(z ? { z } : {}) };
}

export class Histogram {
  n = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  zero = 0;
  private schemaNow: number;
  private counts = new Map<number, number>();

  constructor(schema: number = MAX_SCHEMA) {
    this.schemaNow = schema;
  }

  get schema(): number {
    return this.schemaNow;
  }

  static from(data: HistogramData): Histogram {
    const h = new Histogram(data.schema ?? K6_SCHEMA);
    h.merge(data);
    return h;
  }

  /** Coarsen to `to` (no-op when already as coarse). */
  downscale(to: number): void {
    if (to >= this.schemaNow) return;
    const next = new Map<number, number>();
    for (const [i, c] of this.counts) {
      const j = downscaleIndex(i, this.schemaNow, to);
      next.set(j, (next.get(j) ?? 0) + c);
    }
    this.counts = next;
    this.schemaNow = to;
  }

  private add(i: number, c: number): void {
    this.counts.set(i, (this.counts.get(i) ?? 0) + c);
  }

  record(ms: number, count = 1): void {
    const i = bucketOf(ms, this.schemaNow);
    if (i === undefined) this.zero += count;
    else this.add(i, count);
    this.n += count;
    this.sum += ms * count;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
  }

  merge(other: HistogramData | Histogram): void {
    if (other.n === 0) return;
    if (other instanceof Histogram) {
      this.downscale(other.schemaNow);
      for (const [i, c] of other.counts) this.add(downscaleIndex(i, other.schemaNow, this.schemaNow), c);
      this.zero += other.zero;
    } else {
      const data = other.schema === undefined ? legacyToSchema(other) : other;
      const s = data.schema!;
      this.downscale(s);
      for (const [i, c] of data.b) this.add(downscaleIndex(i, s, this.schemaNow), c);
      this.zero += data.z ?? 0;
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
    let seen = this.zero;
    if (seen >= rank) return Math.max(this.min, 0);
    const s = this.schemaNow;
    for (const i of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(i)!;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, upperMs(i - 0.5, s)));
    }
    return this.max;
  }

  /** How many recorded values lie in buckets wholly above `ms` (the bucket holding `ms` counts as not above). */
  countAbove(ms: number): number {
    const from = bucketOf(ms, this.schemaNow);
    let c = 0;
    for (const [i, n] of this.counts) if (from === undefined || i > from) c += n;
    return c;
  }

  /**
   * The recorded values as (representative ms, count), ascending: the geometric middle of each
   * bucket (what `quantile` reports), 0 for the zero bucket. At `schema` when coarser than this
   * histogram's (buckets merged), so two histograms can be compared bucket for bucket.
   */
  values(schema: number = this.schemaNow): Array<[number, number]> {
    const s = Math.min(schema, this.schemaNow);
    const merged = new Map<number, number>();
    for (const [i, c] of this.counts) if (c) merged.set(downscaleIndex(i, this.schemaNow, s), (merged.get(downscaleIndex(i, this.schemaNow, s)) ?? 0) + c);
    const out: Array<[number, number]> = this.zero ? [[0, this.zero]] : [];
    for (const i of [...merged.keys()].sort((a, b) => a - b)) out.push([upperMs(i - 0.5, s), merged.get(i)!]);
    return out;
  }

  mean(): number | undefined {
    return this.n === 0 ? undefined : this.sum / this.n;
  }

  toJSON(): HistogramData {
    if (this.n === 0) return { schema: this.schemaNow, n: 0, sum: 0, min: 0, max: 0, b: [] };
    const b = [...this.counts.entries()].filter(([, c]) => c).sort((x, y) => x[0] - y[0]);
    return { schema: this.schemaNow, n: this.n, sum: round6(this.sum), min: this.min, max: this.max, b, ...(this.zero ? { z: this.zero } : {}) };
  }
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
