/**
 * Presentation helpers shared by the renderers, so "1.2%" or "+1:05" reads the same in every
 * format. Number formatting itself is core/gates.ts `formatValue`.
 */
import type { Phase } from '../core/analysis.ts';
import { formatValue, type GateResult, type GateVerdict } from '../core/gates.ts';
import { CAUSE_LABEL, topCauses } from './causes.ts';
import type { CauseRow, Report, Stats, StepTraffic, TimelineEntry } from './model.ts';

/** Which traffic "all" covers: `probe + load`, `probe` or `load` (k6). */
export function trafficScope(r: Pick<Report, 'steps'>): string {
  const sources = new Set((r.steps ?? []).map((s) => s.source));
  return sources.size === 2 ? 'probe + load' : sources.has('load') ? 'load' : sources.has('probe') ? 'probe' : 'all';
}

/** A step's traffic row label: `probe (http-probe)`, `load (k6)`. */
export function stepLabel(s: StepTraffic): string {
  return `step ${s.step} (${s.source} traffic${s.kind ? `, ${s.kind}` : ''})`;
}

export function stepStats(s: StepTraffic): Stats {
  return { requests: s.requests, failures: s.failures, dropped: 0, ...(s.errorRate !== undefined ? { errorRate: s.errorRate } : {}), ...(s.rps !== undefined ? { rps: s.rps } : {}), ...(s.p50 !== undefined ? { p50: s.p50, p95: s.p95, p99: s.p99 } : {}) };
}

/** Failures by cause as table rows: [scope, failures, causes in words]. */
export function causeRows(r: Pick<Report, 'failureCauses'>): string[][] {
  const fc = r.failureCauses;
  if (!fc || fc.totals.length === 0) return [];
  const all = fc.totals.reduce((a, b) => a + b.failures, 0);
  const rows = [['all steps', fmtCount(all), topCauses(fc.totals, 4)]];
  const steps = new Set(fc.rows.map((x) => x.step));
  // With one step, its whole-run row would repeat "all steps".
  for (const row of fc.rows) if (!(steps.size === 1 && row.phase === 'all')) rows.push([causeScope(row), fmtCount(row.failures), topCauses(row.causes, 4)]);
  return rows;
}

function causeScope(row: CauseRow): string {
  return row.phase === 'all' ? row.step : `${row.step}, ${PHASE_LABEL[row.phase]}`;
}

export { CAUSE_LABEL, topCauses };

export const DASH = '—';

export function fmtRatio(x: number | undefined): string {
  return x === undefined ? DASH : formatValue(x, 'ratio');
}

export function fmtMs(x: number | undefined): string {
  return x === undefined ? DASH : formatValue(x, 'ms');
}

export function fmtCount(x: number): string {
  return Math.round(x).toLocaleString('en-US');
}

export function fmtRps(x: number | undefined): string {
  return x === undefined ? DASH : formatValue(x, 'req/s');
}

/** Run-clock offset as +m:ss or +h:mm:ss. */
export function fmtOffset(seconds: number): string {
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h ? `+${h}:${String(m).padStart(2, '0')}:${s}` : `+${m}:${s}`;
}

/** ISO wall time, shortened for people: 2025-01-15 09:30:00Z. */
export function fmtWall(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** A duration in words: 1h 2m 3s, 2m 0s, 4.5s. */
export function fmtDuration(seconds: number): string {
  if (seconds < 60) return `${Number(seconds.toFixed(1))}s`;
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h ? `${h}h ${m}m ${s}s` : `${m}m ${s}s`;
}

export function observed(g: GateResult): string {
  return g.observed === undefined ? 'no data' : formatValue(g.observed, g.unit);
}

export const GATE_LABEL: Record<GateVerdict, string> = { pass: 'pass', fail: 'FAIL', 'no-data': 'NO DATA' };

/** The headline. Never PASS unless something was measured and every gate passed. */
export function verdictLabel(r: Report): string {
  if (r.verdict === 'pass' && r.measured) return 'PASS';
  if (r.verdict === 'fail') return 'FAIL';
  return r.measured ? 'INCONCLUSIVE' : 'INCONCLUSIVE: nothing measured';
}

/** One sentence under the headline. */
export function verdictSummary(r: Report): string {
  const n = r.gates.length;
  const passed = r.gates.filter((g) => g.verdict === 'pass').length;
  const failed = r.gates.filter((g) => g.verdict === 'fail').length;
  const noData = n - passed - failed;
  if (!r.measured) return 'The journal holds no requests, load windows or figures, so nothing could be judged.';
  if (n === 0) return 'No gates were defined: the numbers below were measured but nothing was checked against a threshold.';
  const parts = [`${passed} of ${n} gates passed`];
  if (failed) parts.push(`${failed} failed`);
  if (noData) parts.push(`${noData} had no data`);
  return `${parts.join(', ')}.`;
}

export const PHASE_LABEL: Record<Phase, string> = { before: 'before fault', during: 'during fault', after: 'after fault' };

export const STATS_HEADER = ['requests', 'errors', 'error rate', 'rate', 'p50', 'p95', 'p99'];

export function statsCells(s: Stats): string[] {
  return [fmtCount(s.requests), fmtCount(s.failures), fmtRatio(s.errorRate), fmtRps(s.rps), fmtMs(s.p50), fmtMs(s.p95), fmtMs(s.p99)];
}

export function provenanceLines(r: Report): Array<[string, string]> {
  const p = r.provenance;
  if (!p) return [['provenance', 'unknown: the journal has no run.start event']];
  const git = p.scenario.git ? `${p.scenario.git.commit}${p.scenario.git.dirty ? ' (dirty)' : ''}` : 'not in git';
  const tools = Object.entries(p.tools).map(([k, v]) => `${k} ${v}`).join(', ');
  return [
    ['run', r.runId],
    ['scenario', `${p.scenario.name} (${p.scenario.file})`],
    ['scenario commit', git],
    ['scenario sha256', p.scenario.sha256],
    ['gauntlet', `${p.tool.version} on node ${p.node}`],
    ['tools', tools || 'none recorded'],
    ['kube context', p.kube ? `${p.kube.context} (${p.kube.server}, namespace ${p.kube.namespace})` : 'none'],
    ['random seed', String(p.seed)],
    ['host', p.host],
    ['started', fmtWall(p.startedAt)],
    ['ended', `${fmtWall(p.endedAt)} (${fmtDuration(p.durationSeconds)}, ${r.status}${r.statusReason ? `: ${r.statusReason}` : ''})`],
  ];
}

/** Figures worth a headline tile (everything a step measured). */
export function figureValue(f: { value: number; unit: string }): string {
  return formatValue(f.value, f.unit === 's' ? 's' : f.unit);
}

/** A timeline entry as one line: the text, then a mark's data as `k=v` pairs. */
export function timelineText(e: TimelineEntry): string {
  if (!e.data) return e.text;
  const pairs = Object.entries(e.data).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const tail = pairs.join(', ');
  return `${e.text} (${tail.length > 200 ? `${tail.slice(0, 199)}…` : tail})`;
}
