/**
 * The GitHub Actions step summary ($GITHUB_STEP_SUMMARY), written for what GitHub renders: a
 * compact head (verdict, gates, failures by cause) and the rest of the postmortem in collapsible
 * <details> sections, kept under GitHub's 1 MiB per-step cap by trimming the timeline (least
 * important events first). Failed gates also become annotations (`githubAnnotations`), which the
 * CLI prints as workflow commands so they show on the run's page.
 */
import { formatValue } from '../../core/gates.ts';
import type { Report } from '../model.ts';
import { causeRows, GATE_LABEL, observed, verdictLabel, verdictSummary } from '../present.ts';
import type { Renderer } from '../renderer.ts';
import { mdCell, renderMarkdownDoc } from './md.ts';
import { budgetText } from '../story.ts';

/** GitHub rejects step summaries over 1 MiB; stay clear of it (other steps may append too). */
export const GITHUB_SUMMARY_MAX_BYTES = 1024 * 1024 - 16 * 1024;

const ICON: Record<string, string> = { pass: '✅', fail: '❌', 'no-data': '⚠️' };

function compactHead(r: Report): string {
  const label = verdictLabel(r);
  const icon = label === 'PASS' ? '✅' : r.verdict === 'fail' ? '❌' : '⚠️';
  const out = [`### ${icon} Gauntlet ${label}: ${mdCell(r.scenario?.name ?? 'unknown scenario')}`, '', `${verdictSummary(r)} Run \`${r.runId}\`, ${r.status}.`, ''];
  if (r.reasons.length) out.push(...r.reasons.map((x) => `- ${mdCell(x)}`), '');
  if (r.gates.length) {
    out.push('| | Gate | Observed | Threshold |', '| --- | --- | ---: | ---: |');
    for (const g of r.gates) out.push(`| ${ICON[g.verdict]} ${GATE_LABEL[g.verdict]} | ${mdCell(`${g.name}${g.selector ? ` ${g.selector}` : ''}`)} | ${mdCell(observed(g))} | ${mdCell(g.threshold)} |`);
    out.push('');
  }
  const causes = causeRows(r);
  if (causes.length) out.push(`**Failures by cause:** ${mdCell(causes[0]![2]!)}`, '');
  if (r.budget) out.push(`**Error budget:** ${mdCell(budgetText(r.budget))} burned (${r.budget.failures} failed of ${Math.round(r.budget.budgetRequests).toLocaleString('en-US')} allowed).`, '');
  return out.join('\n') + '\n';
}

export const renderGithub: Renderer = (r) => {
  const head = compactHead(r);
  const foot = '\n</details>\n';
  const open = '<details><summary>Full report: impact, timeline, gates, figures, traffic, failures by cause, fault windows, event log, definitions, provenance</summary>\n\n';
  const budget = GITHUB_SUMMARY_MAX_BYTES - Buffer.byteLength(head + open + foot);
  const doc = renderMarkdownDoc(r, { maxBytes: budget, fullReportHint: 'the full timeline is in report.md and report.html (upload the run directory as an artifact)' });
  // The compact head already has the title, verdict and reasons: inside <details> start at the sections.
  const body = doc.includes('## Impact') ? doc.slice(doc.indexOf('## Impact')) : doc;
  return head + open + body + foot;
};

/** Workflow commands for failed and unmeasured gates: `::error title=...::...` lines. */
export function githubAnnotations(r: Report): string[] {
  const esc = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const escProp = (s: string) => esc(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
  const file = r.scenario?.file ?? r.provenance?.scenario.file;
  const where = file ? `file=${escProp(file)},` : '';
  const out: string[] = [];
  for (const g of r.gates) {
    if (g.verdict === 'fail') out.push(`::error ${where}title=${escProp(`gate ${g.name} failed`)}::${esc(`${g.metric}${g.selector ? ` ${g.selector}` : ''}: ${g.observed === undefined ? 'no data' : formatValue(g.observed, g.unit)}, want ${g.threshold} (run ${r.runId})`)}`);
    else if (g.verdict === 'no-data') out.push(`::warning ${where}title=${escProp(`gate ${g.name} had no data`)}::${esc(`${g.metric}${g.selector ? ` ${g.selector}` : ''} measured nothing: the run is inconclusive (run ${r.runId})`)}`);
  }
  return out;
}
