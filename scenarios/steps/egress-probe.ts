/**
 * `egress-probe` check: run `policies probe` inside a scenario. Each (workload, target) check is a
 * journal sample: ok when the observed traffic matches the static analysis.
 */
import { z } from 'zod';
import { registerStep } from '../../core/steps.ts';

const params = z.strictObject({
  allowlist: z.string().min(1),
  namespaces: z.array(z.string()).optional(),
  ipBlockMode: z.enum(['upstream', 'cilium', 'unknown']).default('unknown'),
  retries: z.number().int().min(0).max(5).default(2),
  timeoutSeconds: z.number().int().min(10).max(600).default(120),
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
  plan(step) {
    const p = step.params;
    return [`egress probes against allowlist ${p.allowlist} in ${p.namespaces?.join(', ') ?? 'every non-kube namespace'} (restricted probe pods, removed afterwards; ≤ ${p.timeoutSeconds}s)`];
  },
  async run(ctx) {
    const p = ctx.step.params;
    const { probePolicies } = await import('../../policies/probe.ts');
    const r = await probePolicies({
      allowlist: p.allowlist, kube: await ctx.kube(), options: ctx.options, namespaces: p.namespaces, ipBlockMode: p.ipBlockMode,
      retries: p.retries, timeoutSeconds: p.timeoutSeconds, signal: ctx.signal, progress: ctx.progress,
    });
    for (const row of r.rows) {
      ctx.journal.append({
        type: 'sample', step: ctx.step.id, measures: 'check', t: ctx.clock.now(), ok: !row.mismatch && row.observed !== 'no-result', status: 0, ms: 0,
        labels: { workload: row.workload, destination: row.destination, check: `${row.kind}/${row.port}`, expected: row.expected, observed: row.observed },
        ...(row.mismatch ? { error: r.mismatches.find((m) => m.row === row)?.finding ?? 'mismatch' } : {}),
      });
    }
  },
});
