/**
 * Markdown that reads as a postmortem draft: a summary (the verdict in one line), the impact in
 * numbers, the timeline of releases, faults, decisions and recoveries, what the gates concluded;
 * then the evidence: figures, traffic breakdowns, failures by cause, fault windows, the full
 * event log (changes, step ends, warnings), definitions and provenance.
 * With a byte budget (the GitHub step summary) the event log goes first, then the timeline is
 * trimmed, least important first.
 */
import type { Report, TimelineEntry } from '../model.ts';
import { impactRows, storyOf, summaryLine, type StoryEntry } from '../story.ts';
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

/** Title, summary (the verdict in one line) and the impact in numbers. */
export function markdownSummary(r: Report): string[] {
  const out: string[] = [];
  const label = verdictLabel(r);
  const icon = label === 'PASS' ? '✅' : r.verdict === 'fail' ? '❌' : '⚠️';
  out.push(`# Postmortem draft: ${mdCell(r.scenario?.name ?? 'unknown scenario')}`, '');
  out.push('## Summary', '');
  out.push(`**${icon} ${label}**: ${mdCell(summaryLine(r))}`, '');
  const p = r.provenance;
  if (r.scenario?.description) out.push(`Scenario: ${mdCell(r.scenario.description)}`, '');
  if (p) out.push(`Run \`${r.runId}\`, ${fmtWall(p.startedAt)} → ${fmtWall(p.endedAt)}, status **${r.status}**${r.statusReason ? ` (${mdCell(r.statusReason)})` : ''}.`, '');
  if (r.reasons.length) out.push(...r.reasons.map((x) => `- ${mdCell(x)}`), '');
  out.push('## Impact', '');
  if (r.measured) out.push(...mdTable(['', 'Value', 'How it was measured'], impactRows(r).map((x) => [x.what, x.value, x.how]), ['l', 'r', 'l']), '');
  else out.push('Nothing was measured: the journal holds no requests, load windows or figures.', '');
  return out;
}

/** What the gates concluded, then the evidence: figures, traffic, failures by cause, fault windows. */
export function markdownHead(r: Report): string[] {
  const out: string[] = [];
  out.push('## What the gates concluded', '', verdictSummary(r), '');
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

const TIMELINE_HEADER = ['## Timeline', '', 'Releases, faults, decisions and recoveries in order (run clock; every change and step is in the event log below).', '', '| Time | Wall clock (UTC) | What | Event |', '| ---: | --- | --- | --- |'];
const EVENT_LOG_HEADER = ['## Event log', '', 'Every event the report draws on: run and step ends, faults, marks, changes, warnings.', '', '| Time | Wall clock (UTC) | Kind | Event |', '| ---: | --- | --- | --- |'];

const STORY_ICON: Partial<Record<StoryEntry['kind'], string>> = { fault: '⚠️ ', problem: '❌ ' };

function storyRow(e: StoryEntry): string {
  return `| ${fmtOffset(e.offsetSeconds)} | ${e.wall ? fmtWall(e.wall) : ''} | ${e.kind} | ${STORY_ICON[e.kind] ?? ''}${mdCell(e.text)} |`;
}

function timelineRow(e: TimelineEntry): string {
  const sev = e.severity === 'error' ? '❌ ' : e.severity === 'warn' ? '⚠️ ' : '';
  return `| ${fmtOffset(e.offsetSeconds)} | ${fmtWall(e.wall)} | ${e.kind} | ${sev}${mdCell(timelineText(e))} |`;
}

/** Lower is kept first when the timeline must be trimmed. */
function priority(e: StoryEntry): number {
  if (e.kind === 'problem') return 0;
  if (e.kind === 'run' || e.kind === 'fault') return 1;
  if (e.kind === 'decision' || e.kind === 'measured') return 2;
  return 3;
}

export function renderMarkdownDoc(r: Report, opts: MarkdownOptions = {}): string {
  const head = markdownSummary(r).join('\n') + '\n';
  const middle = markdownHead(r).join('\n') + '\n';
  const tail = markdownTail(r).join('\n') + '\n';
  const story = storyOf(r);
  const rows = story.map(storyRow);
  const timeline = rows.length ? [...TIMELINE_HEADER, ...rows, ''].join('\n') + '\n' : '';
  const log = r.timeline.length ? [...EVENT_LOG_HEADER, ...r.timeline.map(timelineRow), ''].join('\n') + '\n' : '';
  const full = head + timeline + middle + log + tail;
  const max = opts.maxBytes;
  if (max === undefined || Buffer.byteLength(full) <= max) return full;

  // Over budget: the event log goes (its story is in the timeline), then the timeline keeps
  // the most important events that fit, shown in time order.
  const logNotice = `## Event log\n\n_The event log (${fmtCount(r.timeline.length)} events) is omitted to fit the size limit; ${opts.fullReportHint ?? 'see report.md or report.html'}._\n\n`;
  if (Buffer.byteLength(head + timeline + middle + logNotice + tail) <= max) return head + timeline + middle + logNotice + tail;
  const notice = (n: number) => `\n_${fmtCount(n)} of ${fmtCount(rows.length)} timeline events omitted to fit the size limit; ${opts.fullReportHint ?? 'see report.md or report.html for the full timeline'}._\n\n`;
  const fixed = Buffer.byteLength(head) + Buffer.byteLength(middle) + Buffer.byteLength(logNotice) + Buffer.byteLength(tail) + Buffer.byteLength(TIMELINE_HEADER.join('\n') + '\n') + Buffer.byteLength(notice(rows.length)) + 16;
  let budget = max - fixed;
  if (budget < 0) return truncateBytes(head + middle + tail, max, opts);
  const order = rows.map((_, i) => i).sort((a, b) => priority(story[a]!) - priority(story[b]!) || a - b);
  const keep: number[] = [];
  for (const i of order) {
    const cost = Buffer.byteLength(rows[i]!) + 1;
    if (cost > budget) break;
    budget -= cost;
    keep.push(i);
  }
  keep.sort((a, b) => a - b);
  const kept = keep.map((i) => rows[i]!);
  return head + [...TIMELINE_HEADER, ...kept].join('\n') + '\n' + notice(rows.length - kept.length) + middle + logNotice + tail;
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
