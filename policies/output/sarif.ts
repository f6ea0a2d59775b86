/** SARIF 2.1.0: violations located at the policy rule that let the traffic through. */
import type { PolicyCheckResult } from '../check.ts';
import type { Origin } from '../model.ts';
import { formatAllowedBy, formatCounterexample } from './format.ts';

const RULES = [
  { id: 'egress-violation', text: 'Egress reachable but not in the EgressAllowlist' },
  { id: 'egress-inconclusive', text: 'Egress could not be proved to follow the EgressAllowlist' },
  { id: 'dns-not-allowed', text: 'Egress isolated without DNS over both UDP and TCP' },
  { id: 'policy-selects-nothing', text: 'NetworkPolicy selects no pod' },
  { id: 'cidr-host-bits', text: 'CIDR with host bits set' },
];

function location(o: { file?: string; line?: number; column?: number } | undefined) {
  if (!o?.file) return [];
  const region = o.line ? { startLine: o.line, ...(o.column ? { startColumn: o.column } : {}) } : undefined;
  return [{ physicalLocation: { artifactLocation: { uri: o.file }, ...(region ? { region } : {}) } }];
}

export function renderSarif(r: PolicyCheckResult): string {
  const results: unknown[] = [];
  for (const w of r.workloads) {
    if (w.verdict === 'inconclusive') {
      results.push({ ruleId: 'egress-inconclusive', level: 'warning', message: { text: `${w.namespace}/${w.kind}/${w.name}: ${w.reasons.join('; ')}` }, locations: location(w) });
    }
    for (const cx of w.counterexamples) {
      const at: Origin | undefined = cx.allowedBy.find((a) => a.origin?.file)?.origin;
      results.push({
        ruleId: 'egress-violation',
        level: w.verdict === 'violation' ? 'error' : 'warning',
        message: { text: `${w.namespace}/${w.kind}/${w.name}: ${formatCounterexample(cx)} is reachable but not approved (${cx.ports}); allowed by ${formatAllowedBy(cx)}` },
        locations: location(at ?? w),
      });
    }
  }
  for (const f of r.findings) results.push({ ruleId: f.rule, level: 'warning', message: { text: f.message }, locations: location(f.origin) });
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{ tool: { driver: { name: 'gauntlet', informationUri: 'https://gauntlet.dev/policies', rules: RULES.map((x) => ({ id: x.id, shortDescription: { text: x.text } })) } }, results }],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}
