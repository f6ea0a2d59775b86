/**
 * The three charts of the HTML report (request rate, error rate, latency percentiles), built
 * from the report's per-second series, with fault windows shaded and release marks drawn.
 *
 * Long runs are drawn at one point per `bucketSeconds` (at most MAX_POINTS points): rate is the
 * mean over the bucket, error rate is failures / requests in it, and latency is the worst 1 s
 * percentile in it, so a spike is never averaged away.
 */
import { formatValue } from '../core/gates.ts';
import type { Report } from './model.ts';
import { figureValue } from './present.ts';
import { clock, lineChart, type ChartMarker, type ChartSeries } from './svg.ts';

const MAX_POINTS = 720;
export const PALETTE = ['#2563eb', '#ea580c', '#059669', '#9333ea', '#0891b2', '#ca8a04'];
const LATENCY_COLORS = { p50: '#0ea5e9', p95: '#6366f1', p99: '#db2777' } as const;

export interface Charts {
  rate: string;
  errors: string;
  latency: string;
  /** Traffic weight per version over time, from release marks carrying `data.weight` (canary, %); absent without them. */
  weight?: string;
  /** Seconds each point covers (1 for runs up to MAX_POINTS seconds). */
  bucketSeconds: number;
}

interface Bucket {
  requests: number;
  failures: number;
  p50?: number;
  p95?: number;
  p99?: number;
  target?: number;
}

/**
 * The moments that matter, as lines on every chart: release marks (a rollback decision, a weight
 * change), each fault's onset (the eviction), and each figure at the moment it was recorded
 * (recoverySeconds = the pods Ready again), so a fault window does not read as an outage.
 */
export function chartEvents(r: Pick<Report, 'timeline' | 'figures' | 'faults'>): ChartMarker[] {
  const out: ChartMarker[] = r.timeline.filter((e) => e.kind === 'mark').map((e) => ({ x: e.offsetSeconds, label: e.text, kind: 'mark' as const }));
  for (const f of r.faults) out.push({ x: f.startSeconds, label: `${f.step}: ${f.kind} ${f.target}`, kind: 'fault' });
  for (const f of r.figures) out.push({ x: f.offsetSeconds, label: `${f.name} ${figureValue(f)}${FIGURE_MOMENT[f.name] ? ` (${FIGURE_MOMENT[f.name]})` : ''}`, kind: 'figure' });
  return out.sort((a, b) => a.x - b.x);
}

/** What the moment a figure is recorded means, for its marker. */
const FIGURE_MOMENT: Record<string, string> = {
  recoverySeconds: 'pods Ready again',
  rolloutSeconds: 'rollout available',
  rollbackSeconds: 'rolled back',
};

export function reportCharts(r: Report, width = 920): Charts {
  const last = r.series.at(-1)?.s ?? 0;
  const span = Math.max(r.provenance?.durationSeconds ?? 0, last + 1, 1);
  const k = Math.max(1, Math.ceil(span / MAX_POINTS));
  // Buckets up to the last second with data: a trailing partial second would read as a drop to 0.
  const n = Math.floor(last / k) + 1;
  const xDomain: [number, number] = [0, span];
  const at = (i: number) => i * k;

  const bucketize = (points: ReadonlyArray<{ s: number; requests: number; failures: number; p50?: number; p95?: number; p99?: number; targetRate?: number }>) => {
    const out: Bucket[] = Array.from({ length: n }, () => ({ requests: 0, failures: 0 }));
    for (const p of points) {
      const b = out[Math.min(n - 1, Math.floor(p.s / k))]!;
      b.requests += p.requests;
      b.failures += p.failures;
      for (const q of ['p50', 'p95', 'p99'] as const) if (p[q] !== undefined) b[q] = Math.max(b[q] ?? 0, p[q]);
      if (p.targetRate !== undefined) b.target = (b.target ?? 0) + p.targetRate / k;
    }
    return out;
  };
  const all = bucketize(r.series);
  const versions = r.labelSeries.map((ls, i) => ({ name: `${ls.label}=${ls.value}`, color: PALETTE[(i + 1) % PALETTE.length]!, buckets: bucketize(ls.points) }));

  const bands = r.faults.map((f) => ({ from: f.startSeconds, to: f.endSeconds, label: `${f.kind} (${f.target})` }));
  const markers = chartEvents(r);
  const common = { width, xDomain, bands, markers, formatX: clock };
  const has = r.series.length > 0;
  const errPct = (b: Bucket) => (b.requests ? b.failures / b.requests : undefined);

  const rateSeries: ChartSeries[] = has ? [{ name: 'all', color: PALETTE[0]!, area: true, points: all.map((b, i) => [at(i), b.requests / k]) }] : [];
  for (const v of versions) rateSeries.push({ name: v.name, color: v.color, points: v.buckets.map((b, i) => [at(i), b.requests / k]) });
  if (all.some((b) => b.target !== undefined)) rateSeries.push({ name: 'target', color: '#64748b', dashed: true, points: all.map((b, i) => [at(i), b.target]) });

  const errorSeries: ChartSeries[] = has ? [{ name: 'all', color: '#dc2626', area: true, points: all.map((b, i) => [at(i), errPct(b)]) }] : [];
  for (const v of versions) errorSeries.push({ name: v.name, color: v.color, points: v.buckets.map((b, i) => [at(i), errPct(b)]) });

  const latencySeries: ChartSeries[] = has
    ? (['p50', 'p95', 'p99'] as const).map((q) => ({ name: q, color: LATENCY_COLORS[q], points: all.map((b, i) => [at(i), b[q]] as const) }))
    : [];

  // Weights as steps: a mark's data sets one version's weight ({version, weight}) or several
  // ({weights: {stable: 90, canary: 10}}), in %, from that moment on.
  const weights = new Map<string, Array<[number, number]>>();
  for (const e of r.timeline) {
    if (e.kind !== 'mark' || !e.data) continue;
    const set: Array<[string, number]> = [];
    if (typeof e.data.weight === 'number' && typeof e.data.version === 'string') set.push([e.data.version, e.data.weight]);
    if (e.data.weights && typeof e.data.weights === 'object') for (const [v, w] of Object.entries(e.data.weights as Record<string, unknown>)) if (typeof w === 'number') set.push([v, w]);
    for (const [v, w] of set) {
      const pts = weights.get(v) ?? [];
      if (pts.length) pts.push([e.offsetSeconds, pts.at(-1)![1]]);
      pts.push([e.offsetSeconds, w / 100]);
      weights.set(v, pts);
    }
  }
  const weight = weights.size
    ? lineChart({
        ...common,
        markers: markers.filter((m) => /^canary (advance|rollback|promot)/.test(m.label)),
        title: 'Traffic weight per version (marks: analysis decisions)',
        series: [...weights].map(([v, pts], i) => ({ name: v, color: PALETTE[(i + 1) % PALETTE.length]!, points: [...pts, [span, pts.at(-1)![1]]] })),
        yMinTop: 1,
        yMaxTop: 1, // a share of traffic: never past 100 %
        formatY: (y) => formatValue(y, 'ratio'),
      })
    : undefined;

  const per = k === 1 ? '' : ` (${k} s buckets)`;
  // An error rate never exceeds 100 %: the axis stops there.
  return {
    ...(weight ? { weight } : {}),
    bucketSeconds: k,
    rate: lineChart({ ...common, title: `Request rate, req/s${per}`, series: rateSeries, yMinTop: 1, formatY: (y) => formatValue(y, '') }),
    errors: lineChart({ ...common, title: `Error rate${per}`, series: errorSeries, yMinTop: 0.01, yMaxTop: 1, formatY: (y) => formatValue(y, 'ratio') }),
    latency: lineChart({ ...common, title: `Latency p50 / p95 / p99${k === 1 ? '' : `, worst per ${k} s`}`, series: latencySeries, yMinTop: 1, formatY: (y) => formatValue(y, 'ms') }),
  };
}
