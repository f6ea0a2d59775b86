/**
 * What `validate` can know about gates before anything runs: the metric exists (or a step records
 * that figure), the threshold fits the metric's unit, `where:` labels are ones a step puts on its
 * samples, and a phase has a fault window to be before, during or after. Every mistake is
 * reported at once, with "did you mean" for near misses: a gate that can never measure anything
 * would otherwise make the whole run inconclusive.
 */
import type { InputIssue } from '../core/errors.ts';
import type { Threshold } from '../core/fields.ts';
import { BUDGET_METRICS, BUILTIN_METRICS, LATENCY_METRICS } from '../core/gates.ts';
import type { Step } from '../core/scenario.ts';
import { stepKind, stepKinds, type StepProduces } from '../core/steps.ts';
import { nearest } from '../core/suggest.ts';
import type { Locator } from './schema.ts';

export interface RawGate {
  metric: string;
  step?: string;
  phase?: string;
  where?: Record<string, string>;
  max?: Threshold;
  min?: Threshold;
}

type MetricUnit = 'ratio' | 'budget' | 'times' | 'ms' | 'count' | 'req/s' | 'seconds' | 'figure';

function metricUnit(metric: string): MetricUnit {
  if (metric === 'error_rate' || metric === 'dropped_ratio') return 'ratio';
  if (metric === 'budget_burned') return 'budget';
  if (metric === 'burn_rate') return 'times';
  if (metric in LATENCY_METRICS) return 'ms';
  if (metric === 'requests' || metric === 'check_failures') return 'count';
  if (metric === 'rps') return 'req/s';
  return /seconds$/i.test(metric) ? 'seconds' : 'figure';
}

/** Why a threshold does not fit the metric's unit, or undefined when it does. */
function thresholdProblem(metric: string, t: Threshold): string | undefined {
  const unit = metricUnit(metric);
  const shown = t.percent ? `${+(t.n * 100).toFixed(6)}%` : t.duration ? `${t.n} ms` : String(t.n);
  switch (unit) {
    case 'ratio':
      if (t.duration) return `${metric} is a ratio (0..1 or a percentage like "1%"), not a duration`;
      if (t.n < 0 || t.n > 1) return `${metric} is a ratio between 0 and 1: ${shown} would be ${+(t.n * 100).toFixed(2)} %, which it can never exceed; write ${t.n >= 1 && t.n <= 100 ? `"${t.n}%" or ${t.n / 100}` : 'a value in 0..1 or a percentage'}`;
      return undefined;
    case 'budget':
      // A run may burn more than the whole budget ("150%"), but a bare 2 is almost always "2 %".
      if (t.duration) return `${metric} is a share of the error budget (a percentage like "2%" or 0..1), not a duration`;
      if (t.n < 0) return `${metric} cannot be negative`;
      if (!t.percent && t.n > 1) return `${metric} is a share of the error budget: ${shown} would be ${+(t.n * 100).toFixed(2)} % of it; write "${t.n}%" or ${t.n / 100} (or "${t.n * 100}%" if you mean ${t.n} whole budgets)`;
      return undefined;
    case 'times':
      if (t.percent || t.duration) return `${metric} is a multiple of the sustainable pace (1 = the budget lasts exactly the window), not ${t.percent ? 'a percentage' : 'a duration'}`;
      if (t.n < 0) return `${metric} cannot be negative`;
      return undefined;
    case 'ms':
      if (t.percent) return `${metric} is a latency in ms (or a duration like "250ms"), not a percentage`;
      if (t.n < 0) return `${metric} cannot be negative`;
      return undefined;
    case 'count':
    case 'req/s':
      if (t.percent || t.duration) return `${metric} is ${unit === 'count' ? 'a count of requests' : 'a rate in req/s'}, not ${t.percent ? 'a percentage' : 'a duration'}`;
      if (t.n < 0) return `${metric} cannot be negative`;
      return undefined;
    case 'seconds':
      if (t.percent) return `${metric} is a time in seconds (or a duration like "30s"), not a percentage`;
      if (t.n < 0) return `${metric} cannot be negative`;
      return undefined;
    default:
      return undefined;
  }
}

/** Step kinds that record a figure (from their declarations), for "recorded by a deploy step". */
function kindsRecording(figure: string): string[] {
  return stepKinds()
    .filter((k) => {
      try {
        return k.produces?.({ id: '', kind: k.kind, section: k.sections[0]!, at: 0, params: {}, source: { file: '' } } as never).figures?.includes(figure);
      } catch {
        return false;
      }
    })
    .map((k) => k.kind);
}

export function checkGates(raw: readonly RawGate[], steps: readonly Step[], loc: Locator, scenario: { slo?: boolean } = {}): InputIssue[] {
  const issues: InputIssue[] = [];
  const produces = new Map<string, StepProduces | undefined>(steps.map((st) => [st.id, stepKind(st.kind)?.produces?.(st as never)]));
  const hasFaults = steps.some((st) => st.section === 'faults');
  raw.forEach((g, i) => {
    const at = (...rel: Array<string | number>) => ['gates', i, ...rel];
    const selected = g.step ? steps.filter((st) => st.id === g.step) : [...steps];
    if (g.step && selected.length === 0) return; // reported by the schema ("no step named")
    const decl = selected.map((st) => produces.get(st.id));
    const unknown = decl.some((d) => d === undefined);
    const builtin = (BUILTIN_METRICS as readonly string[]).includes(g.metric);
    const figures = new Set(decl.flatMap((d) => d?.figures ?? []));
    // 1. The metric: built in, or a figure a selected step records.
    // check_failures counts check verdicts (egress-probe rows); every other built-in metric, requests.
    const onChecks = g.metric === 'check_failures';
    const feeds = (d: StepProduces | undefined) => Boolean(onChecks ? d?.checks : d?.traffic);
    if (builtin) {
      if (!unknown && !decl.some(feeds)) {
        issues.push(
          loc.issue(
            at('metric'),
            onChecks
              ? `check_failures counts check verdicts, but ${g.step ? `step ${g.step} records` : 'no step records'} any (add an egress-probe check)`
              : `${g.metric} is measured on requests, but ${g.step ? `step ${g.step} records` : 'no step records'} any (add a load or check step such as http-probe or k6)`,
          ),
        );
      }
    } else if (!figures.has(g.metric) && !(unknown && !/^(latency_|error_)/.test(g.metric))) {
      const everyFigure = new Set([...produces.values()].flatMap((d) => d?.figures ?? []));
      const guess = nearest(g.metric, [...BUILTIN_METRICS, ...everyFigure]);
      const latency = /^latency_p\d+$/.test(g.metric);
      const byKinds = kindsRecording(g.metric);
      const recordedBy = steps.filter((st) => produces.get(st.id)?.figures?.includes(g.metric)).map((st) => st.id);
      let message: string;
      if (recordedBy.length) message = `step ${g.step} does not record "${g.metric}" (recorded by step ${recordedBy.join(', ')})`;
      else if (byKinds.length) message = `no step records "${g.metric}": it is recorded by a ${byKinds.join(' or ')} step, and this scenario has none`;
      else if (latency) message = `unknown metric "${g.metric}"${guess ? `; did you mean ${guess}?` : ''} (latency quantiles: ${Object.keys(LATENCY_METRICS).join(', ')})`;
      else message = `unknown metric "${g.metric}"${guess ? `; did you mean ${guess}?` : ''} (metrics: ${BUILTIN_METRICS.join(', ')}${everyFigure.size ? `; figures the steps record: ${[...everyFigure].join(', ')}` : ''})`;
      issues.push(loc.issue(at('metric'), message));
    }
    // 1b. Budget metrics are measured against the scenario's SLO.
    if ((BUDGET_METRICS as readonly string[]).includes(g.metric) && !scenario.slo) {
      issues.push(loc.issue(at('metric'), `${g.metric} is measured against the service's SLO, and this scenario declares none: add slo: {availability: "99.9%", window: 30d, rps: <production req/s>}`));
    }
    // 2. The threshold fits the unit.
    for (const side of ['max', 'min'] as const) {
      const t = g[side];
      if (t === undefined) continue;
      const problem = thresholdProblem(g.metric, t);
      if (problem) issues.push(loc.issue(at(side), problem));
    }
    // 3. where: labels a selected step puts on its samples.
    if (g.where && !unknown) {
      const keys = new Set(decl.flatMap((d) => (feeds(d) ? (d!.labels ?? []) : [])));
      const anyKeys = decl.some((d) => feeds(d) && d!.labels === undefined);
      if (!anyKeys) {
        for (const k of Object.keys(g.where)) {
          if (keys.has(k)) continue;
          const guess = nearest(k, keys);
          issues.push(loc.issue(at('where', k), `no step ${g.step ? `(step ${g.step}) ` : ''}records the label "${k}"${guess ? `; did you mean ${guess}?` : ''} (labels: ${[...keys].join(', ') || 'none'})`, true));
        }
      }
    }
    // 4. A phase needs a fault window.
    if (g.phase && g.phase !== 'all' && !hasFaults) {
      issues.push(loc.issue(at('phase'), `${g.phase} needs a fault window, and this scenario has no faults (drop phase, or add a step under faults:)`));
    }
  });
  return issues;
}
