/**
 * `egress-probe` check: an egress audit inside a scenario. First the static check (`policies check`
 * on the live cluster): one check sample per probed workload, ok when it is compliant with the
 * allowlist. Then the live probes (`policies probe`): one sample per (workload, target), ok when
 * the observed traffic matches the static analysis, proves something (not refused, not missing),
 * and is not unapproved-but-reachable traffic. Probe pods go through the run's change ledger, so
 * `gauntlet recover` removes them after a crash. The allowlist path is relative to the scenario file,
 * and the scenario's variables apply to it as to a deploy step's manifests (`${allowed}`), so one
 * allowlist serves every lab and address the scenario is run against.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { registerStep } from '../../core/steps.ts';
import { substituteFileText, type Vars } from '../../core/vars.ts';
// Static: the allowlist is read at validate time (check), before any step changes the cluster.
import { parseAllowlist } from '../../policies/allowlist.ts';
// The `probe-pod` reverter: `recover` imports the step kinds, so it can undo probe pods.
import '../../policies/probe-pods.ts';

const params = z
  .strictObject({
    allowlist: z.string().min(1),
    /** The namespaces whose workloads are probed (or allNamespaces: true). */
    namespaces: z.array(z.string().min(1)).min(1).optional(),
    allNamespaces: z.literal(true).optional(),
    /** Probe image (default $GAUNTLET_PROBE_IMAGE, else the lab's gauntlet.local/probe:v1). */
    image: z.string().min(1).optional(),
    ipBlockMode: z.enum(['upstream', 'cilium', 'unknown']).default('unknown'),
    retries: z.number().int().min(0).max(5).default(2),
    timeoutSeconds: z.number().int().min(10).max(600).default(120),
    /** The static check of the workloads' policies against the allowlist, before the probes. */
    static: z.boolean().default(true),
  })
  .refine((p) => (p.namespaces ? !p.allNamespaces : p.allNamespaces), {
    message: 'name the namespaces to probe (namespaces: [...]) or set allNamespaces: true, not both',
    path: ['namespaces'],
  });
type EgressProbeParams = z.infer<typeof params>;

declare module '../../core/scenario.ts' {
  interface StepParamsByKind {
    'egress-probe': EgressProbeParams;
  }
}

registerStep({
  kind: 'egress-probe',
  sections: ['checks'],
  summary: 'probe pods with each workload\'s labels try approved and unapproved egress; mismatches with the static analysis fail',
  params,
  needsCluster: true,
  produces: () => ({ checks: true, labels: ['workload', 'destination', 'check', 'expected', 'observed', 'approved', 'verdict'], figures: [] }),
  check(step, scenario) {
    // A broken allowlist is bad input: refused at validate, before a deploy or fault step has run.
    try {
      scenarioAllowlist(allowlistPath(step.params.allowlist, scenario.file), scenario.vars ?? {}, step.params.allowlist);
      return [];
    } catch (e) {
      // Every located issue of the file (InputError's message has one per line).
      return [[['allowlist'], `cannot read ${step.params.allowlist}: ${(e as Error).message.split('\n').join('; ')}`]];
    }
  },
  plan(step, scenario) {
    const p = step.params;
    const where = p.namespaces?.join(', ') ?? 'every namespace not starting with kube-';
    const image = p.image ?? 'the probe image ($GAUNTLET_PROBE_IMAGE, else gauntlet.local/probe:v1)';
    return [
      ...(p.static ? [`static check: the policies of every workload in ${where} against allowlist ${p.allowlist} (read from the cluster when the step starts); one check per workload, compliant or not`] : []),
      `egress probes against allowlist ${p.allowlist} in ${where}: one restricted probe pod per workload (image ${image}), each removed as soon as it reports; ≤ ${p.timeoutSeconds}s`,
      `which PodDisruptionBudgets and publishNotReadyAddresses Services select the probe pods: gauntlet policies probe --dry-run --allowlist ${p.allowlist} ${p.namespaces ? p.namespaces.map((n) => `-n ${n}`).join(' ') : '--all-namespaces'}${scenario.target.context ? ` --context ${scenario.target.context}` : ''} (also journaled when the step starts)`,
    ];
  },
  async run(ctx) {
    const p = ctx.step.params;
    const allowlist = scenarioAllowlist(allowlistPath(p.allowlist, ctx.scenario.file), ctx.scenario.vars ?? {});
    const kube = await ctx.kube();
    const inScope = (ns: string) => (p.namespaces ? p.namespaces.includes(ns) : !ns.startsWith('kube-'));
    if (p.static) {
      const { checkPolicies } = await import('../../policies/check.ts');
      const c = await checkPolicies({ allowlist, context: kube.context, kube, ipBlockMode: p.ipBlockMode, maxCounterexamples: 3 });
      const mine = c.workloads.filter((w) => inScope(w.namespace));
      for (const w of mine) {
        const ok = w.verdict === 'compliant';
        const why = w.verdict === 'violation'
          ? `${w.counterexampleCount} unapproved destination(s) the policies allow, e.g. ${w.counterexamples.slice(0, 3).map(describeCounterexample).join('; ')}`
          : w.reasons.join('; ');
        ctx.journal.append({
          type: 'sample', step: ctx.step.id, measures: 'check', t: ctx.clock.now(), ok, status: 0, ms: 0,
          labels: { workload: `${w.namespace}/${w.kind}/${w.name}`, destination: 'static analysis', check: 'static', verdict: w.verdict },
          ...(ok ? {} : { error: why || w.verdict }),
        });
      }
      const bad = mine.filter((w) => w.verdict !== 'compliant');
      ctx.journal.append({ type: 'mark', step: ctx.step.id, label: `egress static check: ${mine.length - bad.length} of ${mine.length} workload(s) compliant with the allowlist${bad.length ? `; not: ${bad.map((w) => `${w.namespace}/${w.name} (${w.verdict})`).join(', ')}` : ''}` });
      ctx.progress(`egress static check: ${mine.length - bad.length} of ${mine.length} workload(s) compliant with ${p.allowlist}${bad.length ? `; not: ${bad.map((w) => `${w.namespace}/${w.name} (${w.verdict})`).join(', ')}` : ''}`);
    }
    const { probePolicies } = await import('../../policies/probe.ts');
    const r = await probePolicies({
      allowlist, kube, options: ctx.options, namespaces: p.namespaces ?? 'all', image: p.image, ipBlockMode: p.ipBlockMode,
      retries: p.retries, timeoutSeconds: p.timeoutSeconds, signal: ctx.signal,
      progress: (line) => {
        ctx.progress(line);
        if (line.startsWith('note: ')) ctx.journal.append({ type: 'log', level: 'warn', step: ctx.step.id, msg: line.slice(6) });
      },
      ledger: { changes: ctx.changes, runId: ctx.runId, step: ctx.step.id },
    });
    const failed = r.rows.filter((row) => !probeRowOk(row)).length;
    ctx.journal.append({ type: 'mark', step: ctx.step.id, label: `egress probes: ${r.rows.length - failed} of ${r.rows.length} check(s) as the allowlist and the analysis expect${failed ? ` (${failed} not)` : ''}, ${r.cleanedUp} probe pod(s) removed` });
    for (const row of r.rows) {
      const ok = probeRowOk(row);
      ctx.journal.append({
        type: 'sample', step: ctx.step.id, measures: 'check', t: ctx.clock.now(), ok, status: 0, ms: 0,
        labels: { workload: row.workload, destination: row.destination, check: `${row.kind}/${row.port}`, expected: row.expected, observed: row.observed, approved: row.approved ? 'yes' : 'no' },
        ...(ok ? {} : { error: !row.mismatch && row.observed === 'reachable' && !row.approved ? `reachable but not approved by the allowlist: ${row.why}` : row.why }),
      });
    }
  },
});

/** Relative to the scenario file, like a deploy step's manifests (so a scenario runs from any directory). */
export function allowlistPath(file: string, scenarioFile: string): string {
  return resolve(dirname(scenarioFile), file);
}

/** The allowlist with the scenario's variables substituted (an unknown `${name}` is an error, as in manifests). */
export function scenarioAllowlist(file: string, vars: Vars, shown = file) {
  return parseAllowlist(substituteFileText(readFileSync(file, 'utf8'), shown, vars), shown);
}

/**
 * A probe row passes when traffic matched the analysis, the observation proves something, and no
 * unapproved destination was reachable (the same rule as `policies probe`'s exit code).
 */
export function probeRowOk(row: { mismatch: boolean; observed: string; approved: boolean }): boolean {
  return !row.mismatch && row.observed !== 'no-result' && row.observed !== 'refused' && !(row.observed === 'reachable' && !row.approved);
}

function describeCounterexample(c: { destination: { kind: string; ip?: string; range?: string; namespace?: string; name?: string; description?: string }; protocol: string; port: number }): string {
  const d = c.destination;
  const where = d.kind === 'pod' ? `pod ${d.namespace}/${d.name}` : d.kind === 'ip' ? `${d.range ?? d.ip}` : (d.description ?? d.kind);
  return `${where} ${c.protocol}/${c.port}`;
}
