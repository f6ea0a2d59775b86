/**
 * `gauntlet canary lint`: what a Flagger Canary will do, read from its manifest (and the app's
 * other manifests, when given), before it ever runs. Pure: documents in, findings out.
 *
 * - schema: the Canary against Flagger's own CRD schema (canary/flagger-types/schema.ts) and,
 *   for `analysis` (schemaless in the CRD), the fields Flagger reads;
 * - timing: worst-case time to a rollback decision, (threshold + 1) x interval + the longest
 *   metric window, and the shortest promotion (Flagger's defaults applied: interval 60 s,
 *   threshold 1, metric window 1m);
 * - nothing judged: no metrics and no judging webhooks;
 * - stalls without traffic: built-in metrics return no values when no request reaches the
 *   canary, and Flagger then halts the analysis without counting a failed check;
 * - the primary label rewrite: Flagger's primary pods carry `<app>-primary` in the selector
 *   labels, so NetworkPolicies and PodDisruptionBudgets selecting the original value no longer
 *   match the pods that serve all traffic.
 */
import type { JsonSchema } from './flagger-types/generate.ts';
import { FLAGGER_SCHEMAS } from './flagger-types/schema.ts';
import { formatPath, type PathSegment, type SourceDoc } from '../core/source.ts';

export type LintRule = 'schema' | 'timing' | 'nothing-judged' | 'stalls-without-traffic' | 'primary-label';

export interface CanaryLintFinding {
  rule: LintRule;
  /** error: the API server or Flagger rejects or misreads it; warning: it runs but not as meant; info: figures. */
  severity: 'error' | 'warning' | 'info';
  file: string;
  line: number;
  column: number;
  path: string;
  canary: string;
  message: string;
}

export interface CanaryTiming {
  canary: string;
  intervalSeconds: number;
  threshold: number;
  metricWindowSeconds: number;
  /** (threshold + 1) x interval + metric window. */
  worstCaseRollbackSeconds: number;
  /** Analysis steps x interval, plus the promotion tick. */
  minPromotionSeconds: number;
  steps: number;
}

export interface CanaryLintResult {
  canaries: number;
  findings: CanaryLintFinding[];
  timings: CanaryTiming[];
}

/** Flagger's defaults (pkg/apis/flagger/v1beta1/canary.go). */
export const FLAGGER_DEFAULTS = { intervalSeconds: 60, minIntervalSeconds: 10, threshold: 1, metricWindow: '1m' } as const;
/** Labels Flagger rewrites to `<value>-primary` (its -selector-labels default). */
export const SELECTOR_LABELS = ['app', 'name', 'app.kubernetes.io/name'] as const;
const BUILTIN_METRICS = new Set(['request-success-rate', 'request-duration']);
const JUDGING_WEBHOOKS = new Set(['rollout', 'pre-rollout', 'confirm-promotion', '']);
const WEBHOOK_TYPES = new Set(['confirm-rollout', 'pre-rollout', 'rollout', 'confirm-traffic-increase', 'confirm-promotion', 'post-rollout', 'rollback', 'event']);

/** Go's time.ParseDuration for the units Flagger users write; undefined when it does not parse. */
export function goDurationSeconds(s: unknown): number | undefined {
  if (typeof s !== 'string' || !/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(s)) return undefined;
  const unit: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * unit[m[2]!]!;
  return total;
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

function typeOk(s: JsonSchema, v: unknown): boolean {
  if (s['x-kubernetes-int-or-string']) return typeof v === 'string' || Number.isInteger(v);
  switch (s.type) {
    case 'string': return typeof v === 'string';
    case 'integer': return Number.isInteger(v);
    case 'number': return typeof v === 'number';
    case 'boolean': return typeof v === 'boolean';
    case 'array': return Array.isArray(v);
    case 'object': return isObj(v);
    default: return true;
  }
}

/** Structural-schema validation: types, enums, required fields, fields the API server would drop. */
export function validateSchema(s: JsonSchema, v: unknown, path: PathSegment[], out: Array<{ path: PathSegment[]; message: string }>): void {
  if (v === null || v === undefined) return;
  if (!typeOk(s, v)) {
    out.push({ path, message: `expected ${s['x-kubernetes-int-or-string'] ? 'an integer or a string' : s.type}, got ${Array.isArray(v) ? 'an array' : typeof v}` });
    return;
  }
  if (s.enum && !s.enum.includes(v as string)) out.push({ path, message: `must be one of ${s.enum.join(', ')}, got ${JSON.stringify(v)}` });
  if (Array.isArray(v) && s.items) v.forEach((x, i) => validateSchema(s.items!, x, [...path, i], out));
  if (isObj(v)) {
    for (const r of s.required ?? []) if (!(r in v)) out.push({ path: [...path, r], message: 'required field is missing' });
    for (const [k, x] of Object.entries(v)) {
      const sub = s.properties?.[k] ?? (isObj(s.additionalProperties) ? s.additionalProperties : undefined);
      if (sub) validateSchema(sub, x, [...path, k], out);
      else if (s.properties && !s.additionalProperties && !s['x-kubernetes-preserve-unknown-fields'] && !(path.length === 1 && path[0] === 'metadata')) {
        out.push({ path: [...path, k], message: `unknown field "${k}": the API server drops it` });
      }
    }
  }
}

function selectorOf(labels: unknown): Record<string, string> {
  return isObj(labels) ? (Object.fromEntries(Object.entries(labels).filter(([, v]) => typeof v === 'string')) as Record<string, string>) : {};
}

/** Label selectors in a NetworkPolicy or PDB that match pods by `key: value`, with their paths. */
function selectorsIn(o: Obj): Array<{ path: PathSegment[]; labels: Record<string, string>; expressions: Array<{ key: string; operator: string; values?: string[] }> }> {
  const out: ReturnType<typeof selectorsIn> = [];
  const add = (sel: unknown, path: PathSegment[]) => {
    if (!isObj(sel)) return;
    out.push({ path, labels: selectorOf(sel.matchLabels), expressions: Array.isArray(sel.matchExpressions) ? (sel.matchExpressions as ReturnType<typeof selectorsIn>[number]['expressions']) : [] });
  };
  const spec = isObj(o.spec) ? o.spec : {};
  if (o.kind === 'PodDisruptionBudget') add(spec.selector, ['spec', 'selector']);
  if (o.kind === 'NetworkPolicy') {
    add(spec.podSelector, ['spec', 'podSelector']);
    for (const dir of ['ingress', 'egress'] as const) {
      const rules = Array.isArray(spec[dir]) ? (spec[dir] as unknown[]) : [];
      rules.forEach((r, i) => {
        const peers = isObj(r) ? (r[dir === 'ingress' ? 'from' : 'to'] as unknown[]) : undefined;
        (Array.isArray(peers) ? peers : []).forEach((p, j) => isObj(p) && add(p.podSelector, ['spec', dir, i, dir === 'ingress' ? 'from' : 'to', j, 'podSelector']));
      });
    }
  }
  return out;
}

export function lintCanaries(docs: readonly SourceDoc[]): CanaryLintResult {
  const findings: CanaryLintFinding[] = [];
  const timings: CanaryTiming[] = [];
  const objs = docs.map((d) => ({ d, o: d.toJS() })).filter((x): x is { d: SourceDoc; o: Obj } => isObj(x.o));
  const canaries = objs.filter((x) => x.o.kind === 'Canary');
  for (const { d, o } of canaries) {
    const meta = isObj(o.metadata) ? o.metadata : {};
    const name = `${typeof meta.namespace === 'string' ? `${meta.namespace}/` : ''}${String(meta.name ?? '(unnamed)')}`;
    const at = (rule: LintRule, severity: CanaryLintFinding['severity'], path: PathSegment[], message: string) => {
      const issue = d.issue(path, message);
      findings.push({ rule, severity, file: issue.file, line: issue.line ?? 1, column: issue.column ?? 1, path: formatPath(path), canary: name, message });
    };
    const errors: Array<{ path: PathSegment[]; message: string }> = [];
    validateSchema(FLAGGER_SCHEMAS.Canary!, o, [], errors);
    for (const e of errors) at('schema', 'error', e.path, e.message);

    const spec = isObj(o.spec) ? o.spec : {};
    const analysis = isObj(spec.analysis) ? spec.analysis : undefined;
    if (!analysis) {
      at('nothing-judged', 'warning', ['spec'], 'no analysis: Flagger promotes without judging anything');
      continue;
    }
    const A = ['spec', 'analysis'];
    let interval: number = FLAGGER_DEFAULTS.intervalSeconds;
    if (analysis.interval !== undefined) {
      const s = goDurationSeconds(analysis.interval);
      if (s === undefined) at('schema', 'error', [...A, 'interval'], `not a Go duration (like 30s or 1m): ${JSON.stringify(analysis.interval)}; Flagger falls back to 60s`);
      else if (s < FLAGGER_DEFAULTS.minIntervalSeconds) at('schema', 'warning', [...A, 'interval'], `${analysis.interval} is below Flagger's minimum: it runs every 10s`);
      interval = s === undefined ? FLAGGER_DEFAULTS.intervalSeconds : Math.max(FLAGGER_DEFAULTS.minIntervalSeconds, s);
    }
    for (const f of ['threshold', 'maxWeight', 'stepWeight', 'iterations'] as const) {
      if (analysis[f] !== undefined && !(Number.isInteger(analysis[f]) && (analysis[f] as number) >= 0)) at('schema', 'error', [...A, f], `expected a non-negative integer, got ${JSON.stringify(analysis[f])}`);
    }
    const threshold = Number.isInteger(analysis.threshold) && (analysis.threshold as number) > 0 ? (analysis.threshold as number) : FLAGGER_DEFAULTS.threshold;
    const metrics = Array.isArray(analysis.metrics) ? (analysis.metrics as unknown[]) : [];
    const webhooks = Array.isArray(analysis.webhooks) ? (analysis.webhooks as unknown[]) : [];
    let window = 0;
    metrics.forEach((m, i) => {
      if (!isObj(m) || typeof m.name !== 'string') return at('schema', 'error', [...A, 'metrics', i], 'a metric needs a name');
      if (!BUILTIN_METRICS.has(m.name) && !isObj(m.templateRef)) at('schema', 'error', [...A, 'metrics', i, 'name'], `"${m.name}" is not a built-in metric (request-success-rate, request-duration) and has no templateRef`);
      const w = goDurationSeconds(m.interval ?? FLAGGER_DEFAULTS.metricWindow);
      if (w === undefined) at('schema', 'error', [...A, 'metrics', i, 'interval'], `not a Go duration: ${JSON.stringify(m.interval)}`);
      else window = Math.max(window, w);
      if (!isObj(m.thresholdRange) && m.threshold === undefined) at('schema', 'warning', [...A, 'metrics', i], 'no thresholdRange: the metric can never fail');
    });
    webhooks.forEach((h, i) => {
      if (!isObj(h)) return;
      if (typeof h.url !== 'string') at('schema', 'error', [...A, 'webhooks', i], 'a webhook needs a url');
      if (h.type !== undefined && !WEBHOOK_TYPES.has(String(h.type))) at('schema', 'error', [...A, 'webhooks', i, 'type'], `unknown webhook type ${JSON.stringify(h.type)}`);
    });
    const judging = webhooks.filter((h) => isObj(h) && JUDGING_WEBHOOKS.has(String(h.type ?? '')));
    const weighted = analysis.maxWeight !== undefined || analysis.stepWeights !== undefined;
    const steps = Array.isArray(analysis.stepWeights)
      ? analysis.stepWeights.length
      : weighted
        ? Math.ceil(Number(analysis.maxWeight ?? 0) / Math.max(1, Number(analysis.stepWeight ?? 0) || 1))
        : Number.isInteger(analysis.iterations) ? (analysis.iterations as number) : 0;
    const t: CanaryTiming = {
      canary: name, intervalSeconds: interval, threshold, metricWindowSeconds: window,
      worstCaseRollbackSeconds: (threshold + 1) * interval + window,
      minPromotionSeconds: (steps + 1) * interval, steps,
    };
    timings.push(t);
    at('timing', 'info', [...A, 'interval'], `worst-case time to a rollback decision ${t.worstCaseRollbackSeconds}s ((threshold ${threshold} + 1) x interval ${interval}s + metric window ${window}s); fastest promotion ${t.minPromotionSeconds}s (${steps} steps + promotion, each one interval)`);
    if (metrics.length === 0 && judging.length === 0) {
      at('nothing-judged', 'warning', A, 'no metrics and no judging webhooks (rollout, pre-rollout, confirm-promotion): nothing is judged, every release is promoted');
    }
    const loadTest = webhooks.some((h) => isObj(h) && (h.type ?? 'rollout') === 'rollout' && isObj(h.metadata) && typeof h.metadata.cmd === 'string');
    if (metrics.some((m) => isObj(m) && BUILTIN_METRICS.has(String(m.name))) && !loadTest) {
      at('stalls-without-traffic', 'warning', [...A, 'metrics'], 'with no request reaching the canary its metrics return no values, and Flagger halts the analysis without counting a failed check: the release hangs rather than fails. Send traffic during the analysis (a rollout webhook with a load test, or `gauntlet run` with a flagger release)');
    }

    // The primary label rewrite, against the app's other manifests in the same namespace.
    const target = isObj(spec.targetRef) ? spec.targetRef : {};
    const ns = typeof meta.namespace === 'string' ? meta.namespace : undefined;
    const dep = objs.find((x) => x.o.kind === target.kind && isObj(x.o.metadata) && x.o.metadata.name === target.name);
    const depSpec = dep && isObj(dep.o.spec) ? dep.o.spec : undefined;
    const podLabels = selectorOf(depSpec && isObj(depSpec.selector) ? depSpec.selector.matchLabels : undefined);
    const keys = SELECTOR_LABELS.filter((k) => k in podLabels);
    const rewritten: Record<string, string> = keys.length ? Object.fromEntries(keys.map((k) => [k, podLabels[k]!])) : { app: String(target.name ?? '') };
    for (const { d: od, o: other } of objs) {
      if (other.kind !== 'NetworkPolicy' && other.kind !== 'PodDisruptionBudget') continue;
      const om = isObj(other.metadata) ? other.metadata : {};
      if (ns && typeof om.namespace === 'string' && om.namespace !== ns) continue;
      for (const sel of selectorsIn(other)) {
        for (const [k, v] of Object.entries(rewritten)) {
          const hit = sel.labels[k] === v || sel.expressions.some((e) => e.key === k && e.operator === 'In' && e.values?.length === 1 && e.values[0] === v);
          if (!hit) continue;
          const issue = od.issue([...sel.path, sel.labels[k] === v ? 'matchLabels' : 'matchExpressions'], '');
          findings.push({
            rule: 'primary-label', severity: 'warning', file: issue.file, line: issue.line ?? 1, column: issue.column ?? 1, path: formatPath(sel.path), canary: name,
            message: `${other.kind}/${String(om.name)} selects ${k}=${v}, but Flagger's primary pods (which serve all traffic after initialization) carry ${k}=${v}-primary: it ${other.kind === 'PodDisruptionBudget' ? 'protects none of them (the target is scaled to 0)' : 'no longer applies to them'}. Select ${k} In [${v}, ${v}-primary]`,
          });
        }
      }
    }
  }
  return { canaries: canaries.length, findings, timings };
}

/** Exit status as `policies check`: 0 clean (info only), 1 findings. Bad input (2) is an InputError. */
export const lintExitCode = (r: CanaryLintResult): 0 | 1 => (r.findings.some((f) => f.severity !== 'info') ? 1 : 0);

export function formatLint(r: CanaryLintResult): string {
  const lines = r.findings.map((f) => `${f.file}:${f.line}:${f.column}: ${f.severity} [${f.rule}] ${f.canary}${f.path ? ` ${f.path}` : ''}: ${f.message}`);
  const n = r.findings.filter((f) => f.severity !== 'info').length;
  lines.push(`${r.canaries} Canary(s), ${n} finding(s)`);
  return `${lines.join('\n')}\n`;
}

/** Read the files and lint them; a file that cannot be read or parsed, or no Canary at all, is bad input (exit 2). */
export async function canaryLint(opts: { files: string[] }): Promise<CanaryLintResult> {
  const { readYamlFile } = await import('../core/source.ts');
  const { InputError } = await import('../core/errors.ts');
  const docs = (await Promise.all(opts.files.map((f) => readYamlFile(f)))).flat();
  const r = lintCanaries(docs);
  if (r.canaries === 0) throw new InputError(opts.files.map((file) => ({ file, path: '', message: 'no Canary (flagger.app/v1beta1) in the input' })));
  return r;
}
