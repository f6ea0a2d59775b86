import type { PolicyCheckResult } from '../check.ts';
import { formatOrigin } from '../model.ts';
import { formatAllowedBy, formatCounterexample, NOTHING_JUDGED } from './format.ts';

export function renderText(r: PolicyCheckResult): string {
  const lines: string[] = [];
  for (const w of r.workloads) {
    const head = `${w.namespace}/${w.kind} ${w.name}: ${w.verdict === 'compliant' ? 'compliant' : w.verdict.toUpperCase()}`;
    lines.push(w.counterexampleCount ? `${head} (${w.counterexampleCount} unapproved destination(s))` : head);
    for (const reason of w.reasons) lines.push(`  because ${reason}`);
    for (const cx of w.counterexamples) {
      const modes = cx.modes.length === 1 && r.ipBlockMode === 'unknown' ? ` [only if ipBlock mode is ${cx.modes[0]}]` : '';
      lines.push(`  ${formatCounterexample(cx)}${modes}`, `    reachable, unapproved: ${cx.ports}`, `    allowed by: ${formatAllowedBy(cx)}`);
    }
    if (w.counterexampleCount > w.counterexamples.length) lines.push(`  ... and ${w.counterexampleCount - w.counterexamples.length} more`);
  }
  if (r.findings.length) {
    lines.push('', 'findings:');
    for (const f of r.findings) lines.push(`  warning ${f.rule}: ${f.message} (${formatOrigin(f.origin)})`);
  }
  const s = r.summary;
  lines.push('', `${s.workloads} workload(s): ${s.compliant} compliant, ${s.violation} violation, ${s.inconclusive} inconclusive; ${s.findings} finding(s); ipBlock mode ${r.ipBlockMode}`);
  if (!s.workloads) lines.push(NOTHING_JUDGED);
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n') + '\n';
}
