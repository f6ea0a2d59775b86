import type { PolicyCheckResult } from '../check.ts';
import { formatOrigin } from '../model.ts';
import { formatAllowedBy, formatCounterexample, NOTHING_JUDGED } from './format.ts';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderMarkdown(r: PolicyCheckResult): string {
  const s = r.summary;
  const out = [
    '## Egress policy check',
    '',
    `${s.workloads} workload(s): **${s.compliant} compliant**, **${s.violation} violation**, **${s.inconclusive} inconclusive** (allowlist \`${r.allowlist}\`, ipBlock mode ${r.ipBlockMode})`,
    ...(s.workloads ? [] : ['', `**${NOTHING_JUDGED}**`]),
    '',
    '| Workload | Verdict | First counterexample / reason | Allowed by |',
    '|---|---|---|---|',
  ];
  for (const w of r.workloads) {
    const cx = w.counterexamples[0];
    const first = cx ? formatCounterexample(cx) : (w.reasons[0] ?? '');
    out.push(`| ${cell(`${w.namespace}/${w.kind}/${w.name}`)} | ${w.verdict} | ${cell(first)} | ${cell(cx ? formatAllowedBy(cx) : '')} |`);
  }
  if (r.findings.length) {
    out.push('', '### Findings', '');
    for (const f of r.findings) out.push(`- \`${f.rule}\` ${cell(f.message)} (${cell(formatOrigin(f.origin))})`);
  }
  return out.join('\n') + '\n';
}
