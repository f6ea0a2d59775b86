import type { PolicyCheckResult } from '../check.ts';
import { formatAllowedBy, formatCounterexample } from './format.ts';

import { escapeXml as esc } from '../../core/xml.ts';

/** One test case per workload; a violation or an inconclusive verdict is a failure. */
export function renderJunit(r: PolicyCheckResult): string {
  const failures = r.summary.violation + r.summary.inconclusive;
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="gauntlet policies check" tests="${r.summary.workloads}" failures="${failures}">`];
  out.push(`  <testsuite name="egress allowlist ${esc(r.allowlist)}" tests="${r.summary.workloads}" failures="${failures}">`);
  for (const w of r.workloads) {
    out.push(`    <testcase classname="${esc(w.namespace)}" name="${esc(`${w.kind}/${w.name}`)}">`);
    if (w.verdict !== 'compliant') {
      const body = [...w.reasons, ...w.counterexamples.map((cx) => `${formatCounterexample(cx)}: allowed by ${formatAllowedBy(cx)}`)].join('\n');
      out.push(`      <failure type="${w.verdict}" message="${esc(`${w.verdict}: ${w.counterexampleCount} unapproved destination(s)`)}">${esc(body)}</failure>`);
    }
    out.push('    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>');
  return out.join('\n') + '\n';
}
