/**
 * Times `checkPolicies` on generated files: wall time per phase (reading, modelling, analysing,
 * locating the counterexamples' lines, rendering the JSON and the text report) and peak memory,
 * as one JSON line.
 *   node bench/policies-run.ts DIR [mode=unknown]
 */
import { join } from 'node:path';
import { readAllowlist } from '../policies/allowlist.ts';
import { analyseModel } from '../policies/check.ts';
import { buildModel } from '../policies/inputs.ts';
import { readManifests } from '../policies/sources.ts';
import { renderPolicyCheckChunks } from '../policies/output/index.ts';
import type { IpBlockModeOption } from '../policies/model.ts';

const [dir = 'bench/.policies', mode = 'unknown'] = process.argv.slice(2);
// CPU time per phase too: on a shared machine wall time mostly measures waiting for a core.
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const c0 = cpu();
const t0 = performance.now();
const allowlist = await readAllowlist(join(dir, 'allowlist.json'));
const objects = await readManifests(join(dir, 'cluster.json'));
const t1 = performance.now();
const c1 = cpu();
const model = buildModel(objects);
const t2 = performance.now();
const c2 = cpu();
const r = analyseModel(model, allowlist, { ipBlockMode: mode as IpBlockModeOption, otherNamespaces: false });
const t3 = performance.now();
const c3 = cpu();
// Render the counterexamples' file:line, as `check` output does.
let located = 0;
for (const w of r.workloads) for (const cx of w.counterexamples) for (const a of cx.allowedBy) if (a.origin?.line) located++;
const t4 = performance.now();
const c4 = cpu();
// Each report rendered as `policies check` writes it (in pieces), its characters counted, not kept.
const render = (format: 'json' | 'text') => {
  const t = performance.now();
  let chars = 0;
  for (const piece of renderPolicyCheckChunks(r, format)) chars += piece.length;
  return { ms: Math.round(performance.now() - t), chars };
};
const json = render('json');
const text = render('text');
console.log(JSON.stringify({
  pods: model.destinations.length, workloads: r.summary.workloads,
  policies: model.networkPolicies.length, allowlistRules: allowlist.rules.length, mode,
  verdicts: { compliant: r.summary.compliant, violation: r.summary.violation, inconclusive: r.summary.inconclusive }, findings: r.summary.findings,
  ms: { read: Math.round(t1 - t0), model: Math.round(t2 - t1), analyse: Math.round(t3 - t2), locate: Math.round(t4 - t3), total: Math.round(t4 - t0), renderJson: json.ms, renderText: text.ms },
  reportChars: { json: json.chars, text: text.chars },
  cpuMs: { read: Math.round(c1 - c0), model: Math.round(c2 - c1), analyse: Math.round(c3 - c2), locate: Math.round(c4 - c3), total: Math.round(c4) },
  located, maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
}));
