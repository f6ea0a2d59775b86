/**
 * `gauntlet report --compare <run-A> <run-B>`: the same scenario on two releases side by side.
 * Both sides are report models built from their journals alone; each figure gets its delta
 * (B - A) and whether that is better or worse for the service.
 *
 * - Runs of scenarios with different names are not comparable: refused (UsageError, exit 2).
 *   The same name with different content (another image, another rate) is what comparing two
 *   releases usually means: a warning naming the fields that differ, never a refusal.
 * - better / worse: by the figure's direction (error rates, latencies, times, failures and budget
 *   lower is better; a held surge multiple, a sustained capacity or a promotion higher is better);
 *   a change within 1 % of the larger value (or exactly equal) is "same"; no significance test.
 * - A gate regressed when it passed on A and does not pass on B (failed or no data).
 */
import { UsageError } from '../core/errors.ts';
import { formatValue } from '../core/gates.ts';
import type { JournalEvent, RunStart } from '../core/events.ts';
import type { PhaseStats, Report, Stats } from './model.ts';

export const COMPARE_SCHEMA = 'gauntlet/compare/v1';
/** Relative change below which two values count as the same. */
export const SAME_WITHIN = 0.01;

export type Direction = 'lower' | 'higher' | 'neither';
export type Change = 'better' | 'worse' | 'same' | 'changed' | 'only-a' | 'only-b';

export interface CompareSide {
  runId: string;
  runDir?: string;
  verdict: Report['verdict'];
  status: Report['status'];
  startedAt?: string;
  /** Versions the service reported serving (label `version` of the traffic). */
  versions: string[];
  gauntlet?: string;
  scenarioSha256?: string;
}

export interface GateComparison {
  name: string;
  metric: string;
  selector: string;
  unit: string;
  threshold: string;
  a?: { verdict: string; observed?: number };
  b?: { verdict: string; observed?: number };
  change: Change;
}

export interface FigureComparison {
  name: string;
  unit: string;
  better: Direction;
  a?: number;
  b?: number;
  /** b - a. */
  delta?: number;
  /** delta / |a| (absent when a is 0). */
  relative?: number;
  change: Change;
}

export interface PhaseNumbers {
  requests: number;
  failures: number;
  errorRate?: number;
  rps?: number;
  p99?: number;
}

export interface Comparison {
  schema: typeof COMPARE_SCHEMA;
  scenario: string;
  a: CompareSide;
  b: CompareSide;
  warnings: string[];
  gates: GateComparison[];
  figures: FigureComparison[];
  phases: Array<{ phase: 'all' | PhaseStats['phase']; a?: PhaseNumbers; b?: PhaseNumbers }>;
  /** Gates that passed on A and do not pass on B. */
  regressions: string[];
  /** Gates that did not pass on A and pass on B. */
  improvements: string[];
}

/** Which way is better, by the figure's name. */
export function directionOf(name: string): Direction {
  if (/^(surgeMultipleHeld|capacityRps|highestSustainedRps|promoted|podsEvictedBeforeT|achievedMultiple)$/.test(name)) return 'higher';
  if (/(error|fail|latency|p\d\d|Seconds$|budget|burn|dropped|killed|blocked)/i.test(name)) return 'lower';
  return 'neither';
}

export function changeOf(a: number | undefined, b: number | undefined, better: Direction): Change {
  if (a === undefined && b === undefined) return 'same';
  if (a === undefined) return 'only-b';
  if (b === undefined) return 'only-a';
  const scale = Math.max(Math.abs(a), Math.abs(b));
  if (a === b || (scale > 0 && Math.abs(b - a) / scale < SAME_WITHIN)) return 'same';
  if (better === 'neither') return 'changed';
  return (b < a) === (better === 'lower') ? 'better' : 'worse';
}

function figureRow(name: string, unit: string, a: number | undefined, b: number | undefined, better = directionOf(name)): FigureComparison {
  const delta = a !== undefined && b !== undefined ? b - a : undefined;
  return {
    name,
    unit,
    better,
    ...(a !== undefined ? { a } : {}),
    ...(b !== undefined ? { b } : {}),
    ...(delta !== undefined ? { delta } : {}),
    ...(delta !== undefined && a ? { relative: delta / Math.abs(a) } : {}),
    change: changeOf(a, b, better),
  };
}

/** A figure's key across releases: the version label differs by design, the role does not. */
function figureKey(f: Report['figures'][number]): string {
  const labels = { ...(f.labels ?? {}) };
  if (labels.role) delete labels.version;
  const l = Object.entries(labels).sort(([x], [y]) => x.localeCompare(y)).map(([k, v]) => `${k}=${v}`).join(', ');
  return l ? `${f.name}{${l}}` : f.name;
}

/** Each figure's worst recording (by its direction), keyed across releases. */
function figureValues(r: Report): Map<string, { value: number; unit: string }> {
  const out = new Map<string, { value: number; unit: string }>();
  for (const f of r.figures) {
    const key = figureKey(f);
    const cur = out.get(key);
    const worse = directionOf(f.name) === 'higher' ? (x: number, y: number) => x < y : (x: number, y: number) => x > y;
    if (!cur || worse(f.value, cur.value)) out.set(key, { value: f.value, unit: f.unit });
  }
  return out;
}

function sideOf(r: Report, runDir?: string): CompareSide {
  return {
    runId: r.runId,
    ...(runDir ? { runDir } : {}),
    verdict: r.verdict,
    status: r.status,
    ...(r.provenance ? { startedAt: r.provenance.startedAt, gauntlet: r.provenance.tool.version, scenarioSha256: r.provenance.scenario.sha256 } : {}),
    versions: (r.labels.find((l) => l.label === 'version')?.rows ?? []).map((row) => row.value),
  };
}

const numbers = (s: Stats): PhaseNumbers => ({ requests: s.requests, failures: s.failures, ...(s.errorRate !== undefined ? { errorRate: s.errorRate } : {}), ...(s.rps !== undefined ? { rps: s.rps } : {}), ...(s.p99 !== undefined ? { p99: s.p99 } : {}) });

/** Paths where two normalized scenarios differ (the file path aside), at most `limit`. */
export function scenarioDifferences(a: unknown, b: unknown, limit = 8): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, path: string) => {
    if (out.length >= limit) return;
    if (JSON.stringify(x) === JSON.stringify(y)) return;
    if (x && y && typeof x === 'object' && typeof y === 'object' && Array.isArray(x) === Array.isArray(y)) {
      const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
      for (const k of keys) {
        if (path === '' && k === 'file') continue;
        const label = Array.isArray(x) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
        walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], label);
      }
      return;
    }
    out.push(path || '(the whole scenario)');
  };
  walk(a, b, '');
  return out;
}

export interface CompareInput {
  report: Report;
  events: readonly JournalEvent[];
  runDir?: string;
}

export function compareRuns(A: CompareInput, B: CompareInput): Comparison {
  const a = A.report;
  const b = B.report;
  const nameA = a.scenario?.name ?? 'unknown';
  const nameB = b.scenario?.name ?? 'unknown';
  if (nameA !== nameB) {
    throw new UsageError(`the runs are of different scenarios (A: ${nameA}, run ${a.runId}; B: ${nameB}, run ${b.runId}): compare two runs of the same scenario`, { hint: 'gauntlet runs lists the run directories and their scenarios' });
  }
  const warnings: string[] = [];
  const scenarioOf = (events: readonly JournalEvent[]) => events.find((e): e is RunStart => e.type === 'run.start')?.scenario;
  const diff = scenarioDifferences(scenarioOf(A.events), scenarioOf(B.events));
  if (diff.length) warnings.push(`the scenario differs between the runs (${diff.join(', ')}${diff.length >= 8 ? ', ...' : ''}): the deltas include that difference, not only the release's`);
  if (a.runId === b.runId) warnings.push(`both sides are the same run (${a.runId})`);
  for (const [side, r] of [['A', a], ['B', b]] as const) if (r.verdict === 'inconclusive' || r.status !== 'completed') warnings.push(`run ${side} (${r.runId}) is ${r.status === 'completed' ? 'inconclusive' : r.status}: ${r.reasons[0] ?? 'see its report'}`);

  const gateNames = [...new Set([...a.gates.map((g) => g.name), ...b.gates.map((g) => g.name)])];
  const rank = (v: string | undefined) => (v === 'pass' ? 2 : v === 'no-data' ? 1 : v === 'fail' ? 0 : -1);
  const gates: GateComparison[] = gateNames.map((name) => {
    const ga = a.gates.find((g) => g.name === name);
    const gb = b.gates.find((g) => g.name === name);
    const any = (gb ?? ga)!;
    let change: Change = !ga ? 'only-b' : !gb ? 'only-a' : rank(gb.verdict) > rank(ga.verdict) ? 'better' : rank(gb.verdict) < rank(ga.verdict) ? 'worse' : 'same';
    // Same verdict: the observed value still moved.
    if (change === 'same' && ga && gb) {
      const c = changeOf(ga.observed, gb.observed, directionOf(ga.metric));
      if (c === 'better' || c === 'worse') change = c;
    }
    const side = (g: typeof ga) => g && { verdict: g.verdict, ...(g.observed !== undefined ? { observed: g.observed } : {}) };
    return { name, metric: any.metric, selector: any.selector, unit: any.unit, threshold: any.threshold, ...(ga ? { a: side(ga) } : {}), ...(gb ? { b: side(gb) } : {}), change };
  });

  const figures: FigureComparison[] = [
    figureRow('error rate', 'ratio', a.totals.errorRate, b.totals.errorRate, 'lower'),
    figureRow('requests failed', 'count', a.totals.failures, b.totals.failures, 'lower'),
    figureRow('latency p95', 'ms', a.totals.p95, b.totals.p95, 'lower'),
    figureRow('latency p99', 'ms', a.totals.p99, b.totals.p99, 'lower'),
    figureRow('rate (req/s)', 'req/s', a.totals.rps, b.totals.rps, 'neither'),
  ];
  if (a.budget || b.budget) {
    figures.push(figureRow('budget burned', 'ratio', a.budget?.burned, b.budget?.burned, 'lower'), figureRow('burn rate', 'x', a.budget?.burnRate, b.budget?.burnRate, 'lower'));
  }
  const fa = figureValues(a);
  const fb = figureValues(b);
  for (const key of [...new Set([...fa.keys(), ...fb.keys()])]) {
    const name = key.replace(/\{.*$/, '');
    figures.push({ ...figureRow(name, (fa.get(key) ?? fb.get(key))!.unit, fa.get(key)?.value, fb.get(key)?.value), name: key });
  }

  const phases: Comparison['phases'] = [{ phase: 'all', a: numbers(a.totals), b: numbers(b.totals) }];
  for (const ph of ['before', 'during', 'after'] as const) {
    const pa = a.faults.length ? a.phases.find((p) => p.phase === ph) : undefined;
    const pb = b.faults.length ? b.phases.find((p) => p.phase === ph) : undefined;
    if (pa || pb) phases.push({ phase: ph, ...(pa ? { a: numbers(pa) } : {}), ...(pb ? { b: numbers(pb) } : {}) });
  }

  return {
    schema: COMPARE_SCHEMA,
    scenario: nameA,
    a: sideOf(a, A.runDir),
    b: sideOf(b, B.runDir),
    warnings,
    gates,
    figures,
    phases,
    regressions: gates.filter((g) => g.a?.verdict === 'pass' && g.b && g.b.verdict !== 'pass').map((g) => g.name),
    improvements: gates.filter((g) => g.a && g.a.verdict !== 'pass' && g.b?.verdict === 'pass').map((g) => g.name),
  };
}

const CHANGE_WORD: Record<Change, string> = { better: 'better', worse: 'WORSE', same: 'same', changed: 'changed', 'only-a': 'only in A', 'only-b': 'only in B' };

export function fmt(x: number | undefined, unit: string): string {
  if (x === undefined) return '—';
  return formatValue(x, unit === 's' ? 's' : unit);
}

function fmtDelta(f: FigureComparison): string {
  if (f.delta === undefined) return '—';
  const sign = f.delta > 0 ? '+' : f.delta < 0 ? '−' : '±';
  const rel = f.relative !== undefined && Number.isFinite(f.relative) ? ` (${f.relative > 0 ? '+' : f.relative < 0 ? '−' : '±'}${Number(Math.abs(f.relative * 100).toFixed(1))}%)` : '';
  const abs = f.unit === 'ratio' ? `${Number(Math.abs(f.delta * 100).toPrecision(3))} pp` : fmt(Math.abs(f.delta), f.unit);
  return `${sign}${abs}${rel}`;
}

/** One line per verdict for people: what got better, what got worse. */
export function compareHeadline(c: Comparison): string {
  const worse = c.figures.filter((f) => f.change === 'worse').map((f) => f.name);
  const better = c.figures.filter((f) => f.change === 'better').map((f) => f.name);
  const parts = [`${c.scenario}: A ${c.a.runId} (${c.a.verdict}) vs B ${c.b.runId} (${c.b.verdict})`];
  if (c.regressions.length) parts.push(`${c.regressions.length} gate(s) regressed: ${c.regressions.join(', ')}`);
  if (c.improvements.length) parts.push(`${c.improvements.length} gate(s) now pass: ${c.improvements.join(', ')}`);
  parts.push(worse.length ? `worse: ${worse.join(', ')}` : 'nothing got worse');
  if (better.length) parts.push(`better: ${better.join(', ')}`);
  return parts.join('; ');
}

export interface CompareTable {
  gates: string[][];
  figures: string[][];
  phases: string[][];
}

export function compareTables(c: Comparison): CompareTable {
  const verdict = (s?: { verdict: string; observed?: number }, unit = '') => (s ? `${s.verdict === 'pass' ? 'pass' : s.verdict === 'fail' ? 'FAIL' : 'NO DATA'} ${s.observed === undefined ? '' : fmt(s.observed, unit)}`.trim() : '—');
  return {
    gates: [['gate', 'threshold', 'A', 'B', 'change'], ...c.gates.map((g) => [`${g.name}${g.selector ? ` ${g.selector}` : ''}`, g.threshold, verdict(g.a, g.unit), verdict(g.b, g.unit), CHANGE_WORD[g.change]])],
    figures: [['figure', 'A', 'B', 'delta (B − A)', 'change'], ...c.figures.map((f) => [f.name, fmt(f.a, f.unit), fmt(f.b, f.unit), fmtDelta(f), CHANGE_WORD[f.change]])],
    phases: [
      ['phase', 'A requests', 'A errors', 'A p99', 'B requests', 'B errors', 'B p99'],
      ...c.phases.map((p) => [p.phase, p.a ? String(p.a.requests) : '—', p.a ? `${p.a.failures} (${fmt(p.a.errorRate, 'ratio')})` : '—', fmt(p.a?.p99, 'ms'), p.b ? String(p.b.requests) : '—', p.b ? `${p.b.failures} (${fmt(p.b.errorRate, 'ratio')})` : '—', fmt(p.b?.p99, 'ms')]),
    ],
  };
}
