/** The comparison of two runs as terminal text and as Markdown (`report --compare`). */
import { mdCell } from './formats/md.ts';
import { compareHeadline, compareTables, type Comparison } from './compare.ts';

function pad(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}

function sides(c: Comparison): string[] {
  const side = (k: 'A' | 'B', s: Comparison['a']) => `${k}: run ${s.runId}${s.runDir ? ` (${s.runDir})` : ''}, ${s.verdict}, ${s.status}${s.startedAt ? `, started ${s.startedAt}` : ''}${s.versions.length ? `, versions served: ${s.versions.join(', ')}` : ''}`;
  return [side('A', c.a), side('B', c.b)];
}

export function renderCompareText(c: Comparison): string {
  const t = compareTables(c);
  const out = [compareHeadline(c), ...sides(c).map((l) => `  ${l}`)];
  for (const w of c.warnings) out.push(`  warning: ${w}`);
  if (c.gates.length) out.push('', 'Gates', ...pad(t.gates).map((l) => `  ${l}`));
  out.push('', 'Figures', ...pad(t.figures).map((l) => `  ${l}`));
  out.push('', 'Traffic by phase', ...pad(t.phases).map((l) => `  ${l}`));
  return out.join('\n') + '\n';
}

function table(rows: string[][]): string[] {
  const [head, ...body] = rows;
  return [`| ${head!.map(mdCell).join(' | ')} |`, `| ${head!.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`, ...body.map((r) => `| ${r.map(mdCell).join(' | ')} |`)];
}

export function renderCompareMarkdown(c: Comparison): string {
  const t = compareTables(c);
  const out = [`# Gauntlet comparison: ${mdCell(c.scenario)}`, '', `**${mdCell(compareHeadline(c))}**`, '', ...sides(c).map((l) => `- ${mdCell(l)}`), ''];
  if (c.warnings.length) out.push(...c.warnings.map((w) => `> ⚠️ ${mdCell(w)}`), '');
  if (c.gates.length) out.push('## Gates', '', ...table(t.gates), '');
  out.push('## Figures', '', ...table(t.figures), '');
  out.push('## Traffic by phase', '', ...table(t.phases), '');
  out.push('Delta = B − A (percentage points for ratios). better / worse follow each figure\'s direction (error rates, latencies, times, failures and budget: lower is better); within 1 % of the larger value counts as the same. A gate regressed when it passed on A and does not on B.', '');
  return out.join('\n');
}
