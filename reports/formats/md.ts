/**
 * Markdown ready to paste into a postmortem: verdict, gates, figures, traffic breakdowns, the
 * timeline of faults, marks, changes and step ends, definitions and provenance.
 * With a byte budget (the GitHub step summary) the timeline is trimmed, least important first.
 */
import type { Report, TimelineEntry } from '../model.ts';
import { causeRows, fmtCount, fmtOffset, fmtWall, figureValue, GATE_LABEL, observed, PHASE_LABEL, provenanceLines, STATS_HEADER, statsCells, timelineText, stepLabel, stepStats, trafficScope, verdictLabel, verdictSummary } from '../present.ts';
import type { Renderer } from '../renderer.ts';

export interface MarkdownOptions {
  /** Keep the whole document under this many UTF-8 bytes by trimming the timeline. */
  maxBytes?: number;
  /** Where the full report lives, named in the truncation notice. */
  fullReportHint?: string;
}

/** A table cell: pipes and newlines would break the row; raw HTML is shown as text. */
export function mdCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function mdTable(header: string[], rows: string[][], align?: Array<'l' | 'r'>): string[] {
  const sep = header.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  return [`| ${header.map(mdCell).join(' | ')} |`, `| ${sep.join(' | ')} |`, ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`)];
}

const ICON: Record<string, string> = { pass: '✅', fail: '❌', 'no-data': '⚠️' };

export function markdownHead(r: Report): string[] {
  const out: string[] = [];
  const label = verdictLabel(r);
  const icon = label === 'PASS' ? '✅' : r.verdict === 'fail' ? '❌' : '⚠️';
  out.push(`# Gauntlet: ${mdCell(r.scenario?.name ?? 'unknown scenario')}`, '');
  out.push(`**${icon} ${label}**: ${verdictSummary(r)}`, '');
  const p = r.provenance;
  if (p) out.push(`Run \`${r.runId}\`, ${fmtWall(p.startedAt)} → ${fmtWall(p.endedAt)}, status **${r.status}**${r.statusReason ? ` (${mdCell(r.statusReason)})` : ''}.`, '');
  if (r.reasons.length) out.push(...r.reasons.map((x) => `- ${mdCell(x)}`), '');

  out.push('## Gates', '');
  if (r.gates.length) {
    const rows = r.gates.map((g) => [`${ICON[g.verdict]} ${GATE_LABEL[g.verdict]}`, g.name, g.metric, g.selector || 'all traffic', observed(g), g.threshold, fmtCount(g.samples)]);
    out.push(...mdTable(['Result', 'Gate', 'Metric', 'Selection', 'Observed', 'Threshold', 'Samples'], rows, ['l', 'l', 'l', 'l', 'r', 'r', 'r']), '');
  } else out.push('No gates were defined.', '');

  if (r.figures.length) {
    out.push('## Figures', '');
    const rows = r.figures.map((f) => [f.name, figureValue(f), f.step, fmtOffset(f.offsetSeconds), f.phase, f.definition ?? '']);
    out.push(...mdTable(['Figure', 'Value', 'Step', 'At', 'Phase', 'Definition'], rows, ['l', 'r']), '');
  }

  out.push('## Traffic', '');
  if (r.totals.requests) {
    const align: Array<'l' | 'r'> = ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'];
    const rows = [[`all traffic (${trafficScope(r)})`, ...statsCells(r.totals)]];
    if (r.faults.length) rows.push(...r.phases.map((p) => [PHASE_LABEL[p.phase], ...statsCells(p)]));
    if (r.steps.length > 1) rows.push(...r.steps.map((s) => [stepLabel(s), ...statsCells(stepStats(s))]));
    out.push(r.faults.length ? 'Overall and by phase:' : 'Overall (no fault windows):', '', ...mdTable(['', ...STATS_HEADER], rows, align), '');
    for (const l of r.labels) out.push(`By \`${mdCell(l.label)}\`:`, '', ...mdTable([l.label, ...STATS_HEADER], l.rows.map((row) => [row.value, ...statsCells(row)]), align), '');
  } else out.push('No requests were recorded.', '');

  const causes = causeRows(r);
  if (causes.length) out.push('## Failures by cause', '', ...mdTable(['Scope', 'Failures', 'Causes'], causes, ['l', 'r', 'l']), '');

  if (r.faults.length) {
    out.push('## Fault windows', '');
    const rows = r.faults.map((f) => [f.step, f.kind, f.target, fmtOffset(f.startSeconds), fmtOffset(f.endSeconds), `${Number((f.endSeconds - f.startSeconds).toFixed(1))}s`]);
    out.push(...mdTable(['Step', 'Fault', 'Target', 'Start', 'End', 'Length'], rows), '');
  }
  return out;
}

export function markdownTail(r: Report): string[] {
  const out: string[] = ['## Definitions', ''];
  for (const d of r.definitions) out.push(`- **${mdCell(d.term)}**: ${mdCell(d.definition)}`);
  out.push('', '## Provenance', '', ...mdTable(['', ''], provenanceLines(r)), '');
  return out;
}

const TIMELINE_HEADER = ['## Timeline', '', '| Time | Wall clock (UTC) | Kind | Event |', '| ---: | --- | --- | --- |'];

function timelineRow(e: TimelineEntry): string {
  const sev = e.severity === 'error' ? '❌ ' : e.severity === 'warn' ? '⚠️ ' : '';
  return `| ${fmtOffset(e.offsetSeconds)} | ${fmtWall(e.wall)} | ${e.kind} | ${sev}${mdCell(timelineText(e))} |`;
}

/** Lower is kept first when the timeline must be trimmed. */
function priority(e: TimelineEntry): number {
  if (e.severity === 'error') return 0;
  if (e.kind === 'run' || e.kind === 'fault') return 1;
  if (e.severity === 'warn' || e.kind === 'change') return 2;
  if (e.kind === 'step') return 3;
  return 4;
}

export function renderMarkdownDoc(r: Report, opts: MarkdownOptions = {}): string {
  const head = markdownHead(r).join('\n') + '\n';
  const tail = markdownTail(r).join('\n') + '\n';
  const rows = r.timeline.map(timelineRow);
  const timeline = rows.length ? [...TIMELINE_HEADER, ...rows, ''].join('\n') + '\n' : '';
  const full = head + timeline + tail;
  const max = opts.maxBytes;
  if (max === undefined || Buffer.byteLength(full) <= max) return full;

  // Over budget: keep the most important events that fit, shown in time order.
  const notice = (n: number) => `\n_${fmtCount(n)} of ${fmtCount(rows.length)} timeline events omitted to fit the size limit; ${opts.fullReportHint ?? 'see report.md or report.html for the full timeline'}._\n\n`;
  const fixed = Buffer.byteLength(head) + Buffer.byteLength(tail) + Buffer.byteLength(TIMELINE_HEADER.join('\n') + '\n') + Buffer.byteLength(notice(rows.length)) + 16;
  let budget = max - fixed;
  if (budget < 0) return truncateBytes(head + tail, max, opts);
  const order = rows.map((_, i) => i).sort((a, b) => priority(r.timeline[a]!) - priority(r.timeline[b]!) || a - b);
  const keep: number[] = [];
  for (const i of order) {
    const cost = Buffer.byteLength(rows[i]!) + 1;
    if (cost > budget) break;
    budget -= cost;
    keep.push(i);
  }
  keep.sort((a, b) => a - b);
  const kept = keep.map((i) => rows[i]!);
  return head + [...TIMELINE_HEADER, ...kept].join('\n') + '\n' + notice(rows.length - kept.length) + tail;
}

/** Last resort when even the tables exceed the budget: cut at a line boundary and say so. */
function truncateBytes(doc: string, max: number, opts: MarkdownOptions): string {
  const notice = `\n\n_Report truncated to fit the size limit; ${opts.fullReportHint ?? 'see report.md or report.html'}._\n`;
  const buf = Buffer.from(doc);
  let cut = buf.subarray(0, Math.max(0, max - Buffer.byteLength(notice))).toString('utf8');
  cut = cut.replace(/\uFFFD$/, '');
  const nl = cut.lastIndexOf('\n');
  return (nl > 0 ? cut.slice(0, nl) : cut) + notice;
}

export const renderMarkdown: Renderer = (r) => renderMarkdownDoc(r);
