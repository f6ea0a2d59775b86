/**
 * Decoding Prometheus remote-write 1.0 bodies (what k6's `experimental-prometheus-rw` output
 * pushes): raw-block snappy around a protobuf `prometheus.WriteRequest`.
 *
 * Both formats are small and frozen, and only the fields below are read, so this is our own
 * decoder (no dependency, no native add-on), tested against payloads recorded from a real k6
 * (loadtest/fixtures/). Specs: github.com/google/snappy format_description.txt and
 * prometheus/prompb types.proto (remote-write 1.0, native histograms).
 */

export interface Label {
  name: string;
  value: string;
}

/** A native histogram as pushed: bucket counts by index at `schema` (bucket i = (2^((i-1)/2^schema), 2^(i/2^schema)]). */
export interface NativeHistogram {
  count: number;
  sum: number;
  schema: number;
  zeroThreshold: number;
  zeroCount: number;
  /** Positive buckets as [index, count] pairs, ascending; empty buckets left out. */
  positive: Array<[number, number]>;
  /** Negative buckets (never for latencies); kept to refuse them loudly. */
  negativeCount: number;
  timestamp: number;
}

export interface Sample {
  value: number;
  timestamp: number;
}

export interface TimeSeries {
  labels: Label[];
  samples: Sample[];
  histograms: NativeHistogram[];
}

/** Prometheus's staleness marker: a NaN with this exact bit pattern ends a series. */
export const STALE_NAN_BITS = 0x7ff0000000000002n;

export function isStaleMarker(bits: bigint): boolean {
  return bits === STALE_NAN_BITS;
}

export class DecodeError extends Error {}

/** Snappy raw block format (no framing), as Prometheus remote-write uses it. */
export function snappyDecompress(src: Uint8Array): Uint8Array {
  let pos = 0;
  let len = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= src.length || shift > 28) throw new DecodeError('snappy: bad length preamble');
    const b = src[pos++]!;
    len += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  const out = new Uint8Array(len);
  let o = 0;
  while (pos < src.length) {
    const tag = src[pos++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >> 2;
      if (n >= 60) {
        const bytes = n - 59;
        n = 0;
        for (let i = 0; i < bytes; i++) n += src[pos++]! * 2 ** (8 * i);
      }
      n += 1;
      if (pos + n > src.length || o + n > len) throw new DecodeError('snappy: literal overruns');
      out.set(src.subarray(pos, pos + n), o);
      pos += n;
      o += n;
      continue;
    }
    let n: number;
    let offset: number;
    if (kind === 1) {
      n = ((tag >> 2) & 7) + 4;
      offset = ((tag >> 5) << 8) | src[pos++]!;
    } else if (kind === 2) {
      n = (tag >> 2) + 1;
      offset = src[pos]! | (src[pos + 1]! << 8);
      pos += 2;
    } else {
      n = (tag >> 2) + 1;
      offset = (src[pos]! | (src[pos + 1]! << 8) | (src[pos + 2]! << 16)) + src[pos + 3]! * 2 ** 24;
      pos += 4;
    }
    if (offset === 0 || offset > o || o + n > len) throw new DecodeError('snappy: bad copy');
    // Copies may overlap their own output (run-length), so byte by byte.
    for (let i = 0; i < n; i++, o++) out[o] = out[o - offset]!;
  }
  if (o !== len) throw new DecodeError(`snappy: ${o} of ${len} bytes decoded`);
  return out;
}

/** A protobuf wire-format reader over one message. */
class Reader {
  pos: number;
  readonly end: number;
  private readonly buf: Uint8Array;
  private readonly view: DataView;
  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  more(): boolean {
    return this.pos < this.end;
  }
  /** A varint as a JS number (exact to 2^53; counts and timestamps stay far below). */
  varint(): number {
    let x = 0;
    for (let shift = 0; ; shift += 7) {
      if (this.pos >= this.end || shift > 63) throw new DecodeError('protobuf: bad varint');
      const b = this.buf[this.pos++]!;
      x += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return x;
    }
  }
  /** A signed varint with its exact bits (int64, two's complement). */
  int64(): number {
    const x = this.varint();
    return x >= 2 ** 63 ? x - 2 ** 64 : x;
  }
  zigzag(): number {
    const x = this.varint();
    // (x >>> 1) ^ -(x & 1), without 32-bit operators (values can exceed 2^31).
    return x % 2 === 0 ? x / 2 : -(x + 1) / 2;
  }
  double(): number {
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  doubleBits(): bigint {
    return this.view.getBigUint64(this.pos, true);
  }
  bytes(): { start: number; end: number } {
    const n = this.varint();
    const start = this.pos;
    this.pos += n;
    if (this.pos > this.end) throw new DecodeError('protobuf: field overruns its message');
    return { start, end: this.pos };
  }
  string(): string {
    const { start, end } = this.bytes();
    return new TextDecoder().decode(this.buf.subarray(start, end));
  }
  sub(): Reader {
    const { start, end } = this.bytes();
    return new Reader(this.buf, start, end);
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new DecodeError(`protobuf: unsupported wire type ${wire}`);
  }
  /** A repeated numeric field, packed or not. */
  repeated(wire: number, read: (r: Reader) => number, into: number[]): void {
    if (wire !== 2) {
      into.push(read(this));
      return;
    }
    const r = this.sub();
    while (r.more()) into.push(read(r));
  }
}

function label(r: Reader): Label {
  let name = '';
  let value = '';
  while (r.more()) {
    const key = r.varint();
    if (key >>> 3 === 1) name = r.string();
    else if (key >>> 3 === 2) value = r.string();
    else r.skip(key & 7);
  }
  return { name, value };
}

/** A sample; a staleness marker is returned as value undefined. */
function sample(r: Reader): Sample | { value: undefined; timestamp: number } {
  let value: number | undefined = 0;
  let timestamp = 0;
  while (r.more()) {
    const key = r.varint();
    if (key >>> 3 === 1 && (key & 7) === 1) {
      value = isStaleMarker(r.doubleBits()) ? undefined : r.double();
      if (value === undefined) r.pos += 8;
    } else if (key >>> 3 === 2) timestamp = r.int64();
    else r.skip(key & 7);
  }
  return { value, timestamp } as Sample;
}

function histogram(r: Reader): NativeHistogram | undefined {
  const h: NativeHistogram = { count: 0, sum: 0, schema: 0, zeroThreshold: 0, zeroCount: 0, positive: [], negativeCount: 0, timestamp: 0 };
  const posSpans: Array<[number, number]> = [];
  const posDeltas: number[] = [];
  const posCounts: number[] = [];
  const negDeltas: number[] = [];
  const negCounts: number[] = [];
  let stale = false;
  while (r.more()) {
    const key = r.varint();
    const field = key >>> 3;
    const wire = key & 7;
    switch (field) {
      case 1:
        h.count = r.varint();
        break;
      case 2:
        if (isStaleMarker(r.doubleBits())) stale = true;
        h.count = r.double();
        break;
      case 3:
        if (isStaleMarker(r.doubleBits())) stale = true;
        h.sum = r.double();
        break;
      case 4:
        h.schema = r.zigzag();
        break;
      case 5:
        h.zeroThreshold = r.double();
        break;
      case 6:
        h.zeroCount = r.varint();
        break;
      case 7:
        h.zeroCount = r.double();
        break;
      case 9:
        r.repeated(wire, (x) => x.zigzag(), negDeltas);
        break;
      case 10:
        r.repeated(wire, (x) => x.double(), negCounts);
        break;
      case 11: {
        const s = r.sub();
        let offset = 0;
        let length = 0;
        while (s.more()) {
          const k = s.varint();
          if (k >>> 3 === 1) offset = s.zigzag();
          else if (k >>> 3 === 2) length = s.varint();
          else s.skip(k & 7);
        }
        posSpans.push([offset, length]);
        break;
      }
      case 12:
        r.repeated(wire, (x) => x.zigzag(), posDeltas);
        break;
      case 13:
        r.repeated(wire, (x) => x.double(), posCounts);
        break;
      case 15:
        h.timestamp = r.int64();
        break;
      default:
        r.skip(wire);
    }
  }
  if (stale) return undefined;
  // Integer histograms delta-encode their counts; float histograms carry them absolute.
  const counts: number[] = [];
  if (posDeltas.length) {
    let c = 0;
    for (const d of posDeltas) counts.push((c += d));
  } else counts.push(...posCounts);
  let index = 0;
  let k = 0;
  for (const [offset, length] of posSpans) {
    index += offset;
    for (let j = 0; j < length; j++, index++, k++) {
      const c = counts[k];
      if (c === undefined) throw new DecodeError('native histogram: fewer counts than its spans say');
      if (c) h.positive.push([index, c]);
    }
  }
  let neg = 0;
  if (negDeltas.length) {
    let c = 0;
    for (const d of negDeltas) neg += c += d;
  } else for (const c of negCounts) neg += c;
  h.negativeCount = neg;
  return h;
}

function timeSeries(r: Reader): TimeSeries {
  const ts: TimeSeries = { labels: [], samples: [], histograms: [] };
  while (r.more()) {
    const key = r.varint();
    const field = key >>> 3;
    if (field === 1) ts.labels.push(label(r.sub()));
    else if (field === 2) {
      const s = sample(r.sub());
      if (s.value !== undefined) ts.samples.push(s);
    } else if (field === 4) {
      const h = histogram(r.sub());
      if (h) ts.histograms.push(h);
    } else r.skip(key & 7);
  }
  return ts;
}

/** A WriteRequest's series (staleness markers dropped: a stale series simply has no points). */
export function decodeWriteRequest(body: Uint8Array): TimeSeries[] {
  const r = new Reader(body);
  const out: TimeSeries[] = [];
  while (r.more()) {
    const key = r.varint();
    if (key >>> 3 === 1 && (key & 7) === 2) out.push(timeSeries(r.sub()));
    else r.skip(key & 7);
  }
  return out;
}

/** Snappy-compressed body → series. */
export function decodeRemoteWrite(body: Uint8Array): TimeSeries[] {
  return decodeWriteRequest(snappyDecompress(body));
}
