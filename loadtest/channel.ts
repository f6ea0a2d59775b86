/**
 * The live-metrics channel out of k6: lines on fd 3, turned into 1-second windows.
 *
 * With Gauntlet's k6 build the lines ARE windows (aggregated in Go, loadtest/k6ext). With a
 * stock k6 from PATH we fall back to `--out json` (one line per sample) and aggregate the same
 * windows here; it costs k6 far more CPU (docs/adr/0003-k6-live-metrics-channel.md), so it is
 * the fallback, not the default.
 */
import { bucketOf, type HistogramData } from '../core/histogram.ts';

/** One window as the Go output writes it. */
export interface WindowLine {
  /** Unix second the window starts at. */
  sec: number;
  stage?: string;
  version?: string;
  n: number;
  fail: number;
  sum: number;
  min: number;
  max: number;
  b: Array<[number, number]>;
  dropped?: number;
}

/** start: the first sample; end: the last one (sent once k6 stops, before the last windows). */
export type ChannelMessage = { kind: 'start'; epochMs: number } | { kind: 'end'; epochMs: number } | { kind: 'window'; window: WindowLine };

export function histogramOf(w: WindowLine): HistogramData {
  return w.n === 0 ? { n: 0, sum: 0, min: 0, max: 0, b: [] } : { n: w.n, sum: Math.round(w.sum * 1e6) / 1e6, min: w.min, max: w.max, b: w.b };
}

export interface ChannelParser {
  /** Feed one line; returns the messages it completes (possibly none). */
  push(line: string): ChannelMessage[];
  /** End of stream: everything still open. */
  end(): ChannelMessage[];
}

/** Lines from Gauntlet's k6 output. */
export function gauntletParser(): ChannelParser {
  return {
    push(line) {
      if (!line) return [];
      const o = JSON.parse(line) as WindowLine | { start: number } | { end: number };
      if ('start' in o) return [{ kind: 'start', epochMs: o.start }];
      if ('end' in o) return [{ kind: 'end', epochMs: o.end }];
      return [{ kind: 'window', window: o }];
    },
    end: () => [],
  };
}

interface JsonPoint {
  type: string;
  metric: string;
  data: { time: string; value: number; tags?: Record<string, string> | null };
}

/**
 * Lines from k6's stock `--out json`: per-sample points, aggregated into the same windows.
 * A second is closed once a sample 2 s later arrives (k6 writes samples in rough time order).
 */
export function jsonParser(metrics = { duration: 'http_req_duration', failed: 'http_req_failed' }): ChannelParser {
  const open = new Map<string, WindowLine>();
  let started = false;
  let lastMs = -Infinity;
  let closedUpTo = -Infinity;
  const get = (sec: number, stage?: string, version?: string) => {
    const s = Math.max(sec, closedUpTo + 1);
    const key = `${s}\u0000${stage ?? ''}\u0000${version ?? ''}`;
    let w = open.get(key);
    if (!w) {
      w = { sec: s, ...(stage ? { stage } : {}), ...(version ? { version } : {}), n: 0, fail: 0, sum: 0, min: Infinity, max: -Infinity, b: [] };
      open.set(key, w);
      buckets.set(w, new Map());
    }
    return w;
  };
  const buckets = new WeakMap<WindowLine, Map<number, number>>();
  const close = (upTo: number): ChannelMessage[] => {
    const done = [...open.entries()].filter(([, w]) => w.sec <= upTo).sort((a, b) => (a[1].sec - b[1].sec) || (a[0] < b[0] ? -1 : 1));
    for (const [k, w] of done) {
      open.delete(k);
      w.b = [...buckets.get(w)!.entries()].sort((x, y) => x[0] - y[0]);
      if (w.n === 0) (w.min = 0), (w.max = 0);
    }
    if (upTo > closedUpTo) closedUpTo = upTo;
    return done.map(([, w]) => ({ kind: 'window', window: w }));
  };
  return {
    push(line) {
      if (!line.startsWith('{')) return []; // k6's own lines on stdout
      const p = JSON.parse(line) as JsonPoint;
      if (p.type !== 'Point') return [];
      const t = Date.parse(p.data.time);
      if (t > lastMs) lastMs = t;
      const out: ChannelMessage[] = [];
      if (!started) {
        started = true;
        out.push({ kind: 'start', epochMs: t });
      }
      const sec = Math.floor(t / 1000);
      const tags = p.data.tags ?? {};
      if (p.metric === metrics.duration) {
        const w = get(sec, tags.scenario, tags.version);
        const v = p.data.value;
        w.n++;
        w.sum += v;
        if (v < w.min) w.min = v;
        if (v > w.max) w.max = v;
        const b = buckets.get(w)!;
        const i = bucketOf(v);
        b.set(i, (b.get(i) ?? 0) + 1);
      } else if (p.metric === metrics.failed) {
        if (p.data.value) get(sec, tags.scenario, tags.version).fail++;
      } else if (p.metric === 'dropped_iterations') {
        const w = get(sec, tags.scenario);
        w.dropped = (w.dropped ?? 0) + p.data.value;
      }
      if (sec - 2 > closedUpTo) out.push(...close(sec - 2));
      return out;
    },
    end: () => [...(lastMs > -Infinity ? [{ kind: 'end', epochMs: lastMs } as const] : []), ...close(Infinity)],
  };
}
