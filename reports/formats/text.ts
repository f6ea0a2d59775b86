/** The terminal summary printed at the end of a run. Colour is injected, never detected here. */
import { Chalk, type ChalkInstance } from 'chalk';
import type { Report } from '../model.ts';
import { causeRows, fmtDuration, GATE_LABEL, observed, PHASE_LABEL, STATS_HEADER, statsCells, figureValue, stepLabel, stepStats, topCauses, trafficScope, verdictLabel, verdictSummary } from '../present.ts';
import type { Renderer } from '../renderer.ts';
import { budgetText, fmtShare } from '../story.ts';
import { formatValue } from '../../core/gates.ts';

export const renderText: Renderer = (r, { color }) => {
  const c = new Chalk({ level: color ? 1 : 0 });
  const out: string[] = [];
  const label = verdictLabel(r);
  const paint = r.verdict === 'fail' ? c.bgRed.white.bold : label === 'PASS' ? c.bgGreen.black.bold : c.bgYellow.black.bold;
  const took = r.provenance ? ` in ${fmtDuration(r.provenance.durationSeconds)}` : '';
  out.push(`${paint(` ${label} `)} ${c.bold(r.scenario?.name ?? 'unknown scenario')} ${c.dim(`run ${r.runId}, ${r.status}${took}`)}`);
  out.push(`  ${verdictSummary(r)}`);
  for (const reason of r.reasons) out.push(c.yellow(`  - ${reason}`));
  if (r.failureCauses.totals.length) out.push(`  failures by cause: ${topCauses(r.failureCauses.totals)}`);
  const b = r.budget;
  if (b) out.push(`  error budget: ${budgetText(b)} burned (${b.failures} failed of ${fmtShare(1 - b.availability)} x ${formatValue(b.rps, 'req/s')} x ${Math.round(b.windowSeconds)} s = ${Math.round(b.budgetRequests)} allowed)${b.burnRate !== undefined ? `, burn rate ${formatValue(b.burnRate, 'x')}` : ''}`);

  if (r.gates.length) {
    out.push('', c.bold('Gates'));
    const rows = r.gates.map((g) => [GATE_LABEL[g.verdict], `${g.name}${g.selector ? ` ${g.selector}` : ''}`, observed(g), `want ${g.threshold}`, `n=${g.samples}`]);
    out.push(...table(rows).map((line, i) => '  ' + tint(c, r.gates[i]!.verdict)(line)));
  }
  if (r.totals.requests) {
    out.push('', c.bold('Traffic'));
    const rows = [['', ...STATS_HEADER], [`all (${trafficScope(r)})`, ...statsCells(r.totals)]];
    if (r.faults.length) for (const p of r.phases) rows.push([PHASE_LABEL[p.phase], ...statsCells(p)]);
    if (r.steps.length > 1) for (const s of r.steps) rows.push([stepLabel(s), ...statsCells(stepStats(s))]);
    for (const l of r.labels) for (const row of l.rows) rows.push([`${l.label}=${row.value}`, ...statsCells(row)]);
    out.push(...table(rows).map((line, i) => '  ' + (i === 0 ? c.dim(line) : line)));
  }
  const causes = causeRows(r);
  if (causes.length) {
    out.push('', c.bold('Failures by cause'));
    out.push(...table(causes).map((line) => `  ${line}`));
  }
  if (r.figures.length) {
    out.push('', c.bold('Figures'));
    for (const f of r.figures) out.push(`  ${f.name} = ${c.bold(figureValue(f))} ${c.dim(`(${f.step}${f.definition ? `: ${f.definition}` : ''})`)}`);
  }
  const p = r.provenance;
  if (p) {
    const git = p.scenario.git ? `@${p.scenario.git.commit.slice(0, 12)}${p.scenario.git.dirty ? '+dirty' : ''}` : '';
    out.push('', c.dim(`gauntlet ${p.tool.version} · ${p.scenario.file}${git} · context ${p.kube?.context ?? 'none'} · seed ${p.seed} · ${p.startedAt} → ${p.endedAt}`));
  }
  return out.join('\n') + '\n';
};

function tint(c: ChalkInstance, v: string): (s: string) => string {
  return v === 'pass' ? c.green : v === 'fail' ? c.red : c.yellow;
}

/** Pad columns; numbers (cells starting with a digit, dash or sign) right-aligned. */
function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  const numeric = (s: string) => /^[-+]?[\d—]/.test(s);
  return rows.map((row) => row.map((cell, i) => (i > 0 && numeric(cell) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd());
}
