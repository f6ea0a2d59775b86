/**
 * Gauntlet gates ↔ k6 thresholds, both ways.
 *
 * Gates become k6 thresholds so that a hard gate (abortOnFail) stops k6 itself mid-run; a
 * script's own thresholds become gates so that they are judged from the journal and reported
 * like any other gate. What one side cannot say is returned as `unmapped`, never dropped
 * silently.
 */
import { LATENCY_METRICS, type GateSpec } from '../core/gates.ts';

/** The k6 metrics that count requests for a run (the built-in script uses its own, tagged by version). */
export interface RequestMetrics {
  duration: string;
  failed: string;
  reqs: string;
}
export const HTTP_METRICS: RequestMetrics = { duration: 'http_req_duration', failed: 'http_req_failed', reqs: 'http_reqs' };

export type K6Threshold = string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string };
export type K6Thresholds = Record<string, K6Threshold[]>;

const STAT_OF_LATENCY: Record<string, string> = {
  latency_p50: 'med',
  latency_p90: 'p(90)',
  latency_p95: 'p(95)',
  latency_p99: 'p(99)',
  latency_max: 'max',
};

/** The k6 metric and statistic that measure a gate's metric, or undefined when k6 has none. */
function k6Measure(metric: string, m: RequestMetrics): { metric: string; stat: string } | undefined {
  if (metric in STAT_OF_LATENCY) return { metric: m.duration, stat: STAT_OF_LATENCY[metric]! };
  if (metric === 'error_rate') return { metric: m.failed, stat: 'rate' };
  if (metric === 'rps') return { metric: m.reqs, stat: 'rate' };
  if (metric === 'requests') return { metric: m.reqs, stat: 'count' };
  return undefined;
}

function selector(metric: string, where: Record<string, string> | undefined): string {
  const tags = Object.entries(where ?? {}).map(([k, v]) => `${k === 'stage' ? 'scenario' : k}:${v}`);
  return tags.length ? `${metric}{${tags.join(',')}}` : metric;
}

export interface ThresholdMapping {
  thresholds: K6Thresholds;
  /** Gates k6 cannot evaluate (figures, phases, dropped_ratio), with why. */
  unmapped: Array<{ gate: string; why: string }>;
}

/**
 * k6 thresholds for the gates that concern this step. A gate on a fault phase or on a figure
 * stays with Gauntlet (k6 does not know the phases).
 */
export function gatesToThresholds(gates: readonly GateSpec[], m: RequestMetrics = HTTP_METRICS, abortDelay = '5s'): ThresholdMapping {
  const thresholds: K6Thresholds = {};
  const unmapped: ThresholdMapping['unmapped'] = [];
  for (const g of gates) {
    const km = k6Measure(g.metric, m);
    if (!km) {
      unmapped.push({ gate: g.name, why: `k6 has no threshold for ${g.metric}` });
      continue;
    }
    if (g.phase && g.phase !== 'all') {
      unmapped.push({ gate: g.name, why: `k6 does not know the ${g.phase} phase` });
      continue;
    }
    const key = selector(km.metric, g.where);
    const list = (thresholds[key] ??= []);
    const exprs = [...(g.max !== undefined ? [`${km.stat}<=${g.max}`] : []), ...(g.min !== undefined ? [`${km.stat}>=${g.min}`] : [])];
    for (const threshold of exprs) {
      list.push(g.abortOnFail ? { threshold, abortOnFail: true, delayAbortEval: abortDelay } : threshold);
    }
  }
  return { thresholds, unmapped };
}

const LATENCY_OF_STAT: Record<string, string> = { med: 'latency_p50', 'p(50)': 'latency_p50', max: 'latency_max' };
for (const [metric, q] of Object.entries(LATENCY_METRICS)) {
  if (q < 1) LATENCY_OF_STAT[`p(${q * 100})`] = metric;
}

const EXPR_RE = /^\s*(avg|min|max|med|count|rate|value|p\(\s*[\d.]+\s*\))\s*(<=|>=|<|>|==|===|!=)\s*(-?[\d.]+(?:e-?\d+)?)\s*$/;
const KEY_RE = /^([\w.]+)(?:\{(.*)\})?$/;

/** A script's k6 thresholds as gates (k6's `<` becomes an inclusive max: equal counts as a pass). */
export function thresholdsToGates(thresholds: Record<string, unknown>, step?: string, m: RequestMetrics = HTTP_METRICS): { gates: GateSpec[]; unmapped: ThresholdMapping['unmapped'] } {
  const gates: GateSpec[] = [];
  const unmapped: ThresholdMapping['unmapped'] = [];
  for (const [key, raw] of Object.entries(thresholds)) {
    const list = Array.isArray(raw) ? raw : [raw];
    for (const item of list) {
      const expr = typeof item === 'string' ? item : (item as { threshold?: string })?.threshold;
      const abortOnFail = typeof item === 'object' && item !== null && (item as { abortOnFail?: boolean }).abortOnFail === true;
      const name = `k6: ${key} ${expr}`;
      const gate = expr === undefined ? undefined : toGate(key, expr, m);
      if (typeof gate === 'string' || gate === undefined) {
        unmapped.push({ gate: name, why: gate ?? 'not a threshold expression' });
        continue;
      }
      gates.push({ name, ...gate, ...(step ? { step } : {}), ...(abortOnFail ? { abortOnFail } : {}) });
    }
  }
  return { gates, unmapped };
}

function toGate(key: string, expr: string, m: RequestMetrics): Omit<GateSpec, 'name'> | string {
  const k = KEY_RE.exec(key.trim());
  const e = EXPR_RE.exec(expr);
  if (!k || !e) return `cannot read "${key}: ${expr}"`;
  const [, metric, tagText] = k;
  const stat = e[1]!.replace(/\s/g, '');
  const op = e[2]!;
  const value = Number(e[3]);
  const where: Record<string, string> = {};
  for (const pair of tagText ? tagText.split(',') : []) {
    const [tk, tv] = pair.split(':').map((x) => x.trim());
    if (!tk || tv === undefined) return `cannot read tag filter "${pair}"`;
    if (tk === 'scenario') where.stage = tv;
    else if (tk === 'version') where.version = tv;
    else return `Gauntlet windows are not split by the ${tk} tag`;
  }
  let gateMetric: string | undefined;
  if (metric === m.duration || metric === HTTP_METRICS.duration) gateMetric = LATENCY_OF_STAT[stat];
  else if ((metric === m.failed || metric === HTTP_METRICS.failed) && stat === 'rate') gateMetric = 'error_rate';
  else if (metric === m.reqs || metric === HTTP_METRICS.reqs) gateMetric = stat === 'rate' ? 'rps' : stat === 'count' ? 'requests' : undefined;
  if (!gateMetric) return `no Gauntlet gate measures ${stat} of ${metric}`;
  const bound = op.startsWith('<') ? { max: value } : op.startsWith('>') ? { min: value } : { min: value, max: value };
  if (op === '!=') return `cannot express != as a gate`;
  return { metric: gateMetric, ...bound, ...(Object.keys(where).length ? { where } : {}) };
}
