/**
 * `egress-probe` check: run `policies probe` inside a scenario. Each (workload, target) check is a
 * journal sample: ok when the observed traffic matches the static analysis. Probe pods go through
 * the run's change ledger, so `gauntlet recover` removes them after a crash.
 */
import { z } from 'zod';
import { registerStep } from '../../core/steps.ts';
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
  produces: () => ({ checks: true, labels: ['workload', 'destination', 'check', 'expected', 'observed'], figures: [] }),
  plan(step, scenario) {
    const p = step.params;
    const where = p.namespaces?.join(', ') ?? 'every namespace not starting with kube-';
    const image = p.image ?? 'the probe image ($GAUNTLET_PROBE_IMAGE, else gauntlet.local/probe:v1)';
    return [
      `egress probes against allowlist ${p.allowlist} in ${where}: one restricted probe pod per workload (image ${image}), each removed as soon as it reports; ≤ ${p.timeoutSeconds}s`,
      `which PodDisruptionBudgets and publishNotReadyAddresses Services select the probe pods: gauntlet policies probe --dry-run --allowlist ${p.allowlist} ${p.namespaces ? p.namespaces.map((n) => `-n ${n}`).join(' ') : '--all-namespaces'}${scenario.target.context ? ` --context ${scenario.target.context}` : ''} (also journaled when the step starts)`,
    ];
  },
  async run(ctx) {
    const p = ctx.step.params;
    const { probePolicies } = await import('../../policies/probe.ts');
    const r = await probePolicies({
      allowlist: p.allowlist, kube: await ctx.kube(), options: ctx.options, namespaces: p.namespaces ?? 'all', image: p.image, ipBlockMode: p.ipBlockMode,
      retries: p.retries, timeoutSeconds: p.timeoutSeconds, signal: ctx.signal,
      progress: (line) => {
        ctx.progress(line);
        if (line.startsWith('note: ')) ctx.journal.append({ type: 'log', level: 'warn', step: ctx.step.id, msg: line.slice(6) });
      },
      ledger: { changes: ctx.changes, runId: ctx.runId, step: ctx.step.id },
    });
    for (const row of r.rows) {
      const ok = !row.mismatch && row.observed !== 'no-result' && row.observed !== 'refused';
      ctx.journal.append({
        type: 'sample', step: ctx.step.id, measures: 'check', t: ctx.clock.now(), ok, status: 0, ms: 0,
        labels: { workload: row.workload, destination: row.destination, check: `${row.kind}/${row.port}`, expected: row.expected, observed: row.observed },
        ...(ok ? {} : { error: row.why }),
      });
    }
  },
});
