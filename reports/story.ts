/**
 * The postmortem view of a report: the impact in numbers and the story in order (releases,
 * faults, the release's decisions with their numbers, recoveries measured), derived from the
 * report model alone, so report.md, report.html and the comparison tell the same story.
 */
import { formatValue } from '../core/gates.ts';
import type { Report, ReportFigure, TimelineEntry } from './model.ts';
import { figureValue, fmtCount, fmtDuration, fmtRatio, timelineText } from './present.ts';

/** The figures an incident review asks for first, in the order it asks. */
export const IMPACT_FIGURES: ReadonlyArray<[name: string, label: string]> = [
  ['detectionSeconds', 'time to detect (canary)'],
  ['rollbackSeconds', 'rollback time'],
  ['recoverySeconds', 'recovery time (pods Ready again)'],
  ['displacedReadySeconds', 'displaced pods Ready again'],
  ['replacementReadySeconds', 'replacement node Ready'],
  ['notReadySeconds', 'node NotReady after'],
  ['rescheduledSeconds', 'pods rescheduled'],
  ['promotionSeconds', 'promotion time'],
];

export interface ImpactRow {
  what: string;
  value: string;
  /** How the number was obtained, in words. */
  how: string;
}

/** The worst recording of a figure (highest; these are all "less is better" times). */
export function worstFigure(r: Pick<Report, 'figures'>, name: string): ReportFigure | undefined {
  let worst: ReportFigure | undefined;
  for (const f of r.figures) if (f.name === name && (!worst || f.value > worst.value)) worst = f;
  return worst;
}

/** A share of a budget: small shares keep three significant digits (0.0209 %, not 0.02 %). */
export function fmtShare(x: number): string {
  if (x === 0 || x >= 0.01) return formatValue(x, 'ratio');
  return `${Number((x * 100).toPrecision(3))}%`;
}

/** An SLO window or a time to exhaustion: whole days as days, long spans in days, else 1h 2m 3s. */
export function fmtSpan(seconds: number): string {
  const days = seconds / 86_400;
  if (Number.isInteger(days)) return `${days}-day`;
  if (days >= 2) return `${Number(days.toFixed(1))} days`;
  return fmtDuration(seconds);
}

export function budgetText(b: NonNullable<Report['budget']>): string {
  return `${fmtShare(b.burned)} of the ${fmtSpan(b.windowSeconds)} error budget`;
}

/** " (56 in step load's k6 windows, 9 of step probe's probe requests)": where the failures were counted. */
function countedText(b: NonNullable<Report['budget']>): string {
  const rows = (b.counted ?? []).filter((c) => c.failures > 0);
  if (rows.length === 0) return '';
  return ` (${rows.map((c) => `${fmtCount(c.failures)} in step ${c.step}'s ${c.from === 'window' ? 'load windows' : 'probe requests'}`).join(', ')})`;
}

export function impactRows(r: Report): ImpactRow[] {
  const t = r.totals;
  const rows: ImpactRow[] = [
    { what: 'requests failed', value: `${fmtCount(t.failures)} of ${fmtCount(t.requests)} (${fmtRatio(t.errorRate)})`, how: 'every request the run made (probes and load), as error_rate counts them' },
  ];
  const b = r.budget;
  if (b) {
    const slo = `${formatValue(b.availability, 'ratio')} over ${fmtSpan(b.windowSeconds).replace(/-day$/, ' days')} at ${formatValue(b.rps, 'req/s')}`;
    rows.push({
      what: 'error budget burned',
      value: budgetText(b),
      how: `${fmtCount(b.failures)} failed request(s)${b.step ? ` of step ${b.step}` : ''}${countedText(b)} / budget ${fmtCount(b.budgetRequests)} requests (SLO ${slo}: (1 - availability) x rps x window)`,
    });
    if (b.burnRate !== undefined) {
      rows.push({
        what: 'burn rate during the run',
        value: formatValue(b.burnRate, 'x'),
        how: `error rate ${fmtRatio(b.errorRate)} / allowed ${formatValue(1 - b.availability, 'ratio')}${b.exhaustSeconds !== undefined ? `; at this pace the whole budget lasts ${fmtSpan(b.exhaustSeconds).replace(/-day$/, ' days')}` : ''}`,
      });
    }
  }
  for (const [name, label] of IMPACT_FIGURES) {
    const f = worstFigure(r, name);
    if (f) rows.push({ what: label, value: figureValue(f), how: `${name}, step ${f.step}${r.figures.filter((x) => x.name === name).length > 1 ? ' (worst of its recordings)' : ''}${f.definition ? `: ${f.definition}` : ''}` });
  }
  const served = r.figures.filter((f) => f.name === 'errorsServed');
  if (served.length) {
    rows.push({ what: 'errors served during the release', value: served.map((f) => `${figureValue(f)}${f.labels?.version ? ` (${f.labels.version})` : ''}`).join(', '), how: 'errorsServed, by version' });
  }
  return rows;
}

export type StoryKind = 'run' | 'release' | 'load' | 'check' | 'fault' | 'decision' | 'measured' | 'problem';

export interface StoryEntry {
  offsetSeconds: number;
  /** Wall-clock time, ISO-8601 (absent when the journal has no run.start to anchor a figure). */
  wall?: string;
  kind: StoryKind;
  text: string;
}

/** The release's decision marks carry their numbers: say them in words. */
export function decisionNumbers(data: Record<string, unknown> | undefined): string | undefined {
  if (!data || typeof data.decision !== 'string') return undefined;
  const side = (name: string, x: unknown) => {
    const v = x as { requests?: number; failures?: number; errorRate?: number; p99?: number } | undefined;
    if (!v || typeof v.requests !== 'number') return undefined;
    return `${name} ${fmtCount(v.failures ?? 0)}/${fmtCount(v.requests)} failed (${fmtRatio(v.errorRate)})${typeof v.p99 === 'number' ? `, p99 ${formatValue(v.p99, 'ms')}` : ''}`;
  };
  const parts = [side('canary', data.canary), side('stable', data.stable)].filter(Boolean) as string[];
  if (typeof data.errorLimit === 'number') parts.push(`error limit ${fmtRatio(data.errorLimit)}`);
  if (typeof data.latencyLimitMs === 'number') parts.push(`latency limit ${formatValue(data.latencyLimitMs, 'ms')}`);
  if (typeof data.pValue === 'number') parts.push(`p = ${data.pValue}`);
  if (typeof data.weight === 'number') parts.push(`at ${data.weight} % of traffic`);
  return parts.length ? parts.join('; ') : undefined;
}

/**
 * Releases, faults, decisions and recoveries in the order they happened: the run's bounds,
 * fault windows, every mark (a release's weight changes and decisions with their numbers, a
 * fault's own moments), each figure at the moment it was recorded, failed steps and errors.
 * Changes applied and reverted, and steps that ended well, stay in the full event log.
 */
export function storyOf(r: Report): StoryEntry[] {
  const section = new Map((r.scenario?.steps ?? []).map((s) => [s.id, s.section]));
  const out: StoryEntry[] = [];
  for (const e of r.timeline) {
    const entry = storyEntry(e, section);
    if (entry) out.push(entry);
  }
  const t0 = r.provenance ? Date.parse(r.provenance.startedAt) : NaN;
  for (const f of r.figures) {
    out.push({ offsetSeconds: f.offsetSeconds, ...(Number.isFinite(t0) ? { wall: new Date(t0 + f.offsetSeconds * 1000).toISOString() } : {}), kind: 'measured', text: `${f.name} = ${figureValue(f)}${f.labels ? ` {${Object.entries(f.labels).map(([k, v]) => `${k}=${v}`).join(', ')}}` : ''} (step ${f.step})` });
  }
  // Stable: same-second entries keep their journal order (the timeline first, then figures).
  return out.map((e, i) => [e, i] as const).sort((a, b) => a[0].offsetSeconds - b[0].offsetSeconds || a[1] - b[1]).map(([e]) => e);
}

function storyEntry(e: TimelineEntry, section: Map<string, string | undefined>): StoryEntry | undefined {
  const entry = storyKind(e, section);
  return entry && { offsetSeconds: e.offsetSeconds, wall: e.wall, ...entry };
}

function storyKind(e: TimelineEntry, section: Map<string, string | undefined>): Omit<StoryEntry, 'offsetSeconds' | 'wall'> | undefined {
  switch (e.kind) {
    case 'run':
      return { kind: 'run', text: e.text };
    case 'fault':
      return { kind: 'fault', text: e.text };
    case 'step':
      return e.severity === 'error' ? { kind: 'problem', text: e.text } : undefined;
    case 'log':
      return e.severity === 'error' ? { kind: 'problem', text: e.text } : undefined;
    case 'change':
      return e.severity === 'error' ? { kind: 'problem', text: e.text } : undefined;
    case 'mark': {
      const numbers = decisionNumbers(e.data);
      if (numbers) return { kind: 'decision', text: `${e.text} (${numbers})` };
      const sec = e.step ? section.get(e.step) : undefined;
      return { kind: sec === 'faults' ? 'fault' : sec === 'load' ? 'load' : sec === 'checks' ? 'check' : 'release', text: timelineText(e) };
    }
    default:
      return undefined;
  }
}

/** The verdict in one line, with the impact that matters most. */
export function summaryLine(r: Report): string {
  const parts: string[] = [];
  const failed = r.gates.filter((g) => g.verdict === 'fail');
  const noData = r.gates.filter((g) => g.verdict === 'no-data');
  if (!r.measured) parts.push('nothing was measured');
  else if (!r.gates.length) parts.push('no gates were defined');
  else if (failed.length) parts.push(`${failed.length} of ${r.gates.length} gates failed (${failed.slice(0, 3).map((g) => `${g.name} ${g.observed === undefined ? 'no data' : formatValue(g.observed, g.unit)}, want ${g.threshold}`).join('; ')}${failed.length > 3 ? '; ...' : ''})`);
  else if (noData.length) parts.push(`${noData.length} of ${r.gates.length} gates had no data`);
  else parts.push(`all ${r.gates.length} gates passed`);
  if (r.totals.requests) parts.push(`${fmtCount(r.totals.failures)} of ${fmtCount(r.totals.requests)} requests failed (${fmtRatio(r.totals.errorRate)})`);
  if (r.budget) parts.push(`${budgetText(r.budget)} burned`);
  const rollback = worstFigure(r, 'rollbackSeconds');
  const promoted = r.figures.find((f) => f.name === 'promoted');
  if (rollback) parts.push(`rolled back in ${figureValue(rollback)}`);
  else if (promoted?.value === 1) parts.push('the release was promoted');
  const recovery = worstFigure(r, 'recoverySeconds');
  if (recovery) parts.push(`recovered in ${figureValue(recovery)}`);
  const text = parts.join('; ');
  return text.charAt(0).toUpperCase() + text.slice(1) + '.';
}
