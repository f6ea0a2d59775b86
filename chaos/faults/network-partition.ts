/**
 * network-partition: a deny-all NetworkPolicy around the selected pods for the window
 * (ingress, egress or both), removed on revert. The policy carries the run's mark, so recover
 * deletes it only if this run made it. Needs a CNI or enforcer that implements NetworkPolicy.
 */
import { z } from 'zod';
import { registerReverter } from '../../core/changes.ts';
import type { Kube } from '../../core/kube.ts';
import { registerFault } from '../fault.ts';
import { RUN_MARK } from '../nodes.ts';

const params = z.strictObject({
  /** Label selector of the pods cut off, `a=b,c=d` (equality only: a NetworkPolicy's matchLabels). */
  selector: z.string().regex(/^\s*[A-Za-z0-9_./-]+\s*=\s*[A-Za-z0-9_.-]*\s*(,\s*[A-Za-z0-9_./-]+\s*=\s*[A-Za-z0-9_.-]*\s*)*$/, 'expected equality labels like app=chat-api,tier=web'),
  namespace: z.string().optional(),
  direction: z.enum(['ingress', 'egress', 'both']).default('both'),
});
type Params = z.infer<typeof params>;
declare module '../../core/scenario.ts' {
  interface StepParamsByKind {
    'network-partition': Params;
  }
}

export const matchLabels = (selector: string): Record<string, string> =>
  Object.fromEntries(selector.split(',').map((kv) => kv.split('=').map((x) => x.trim()) as [string, string]));

export const policyName = (step: string): string => `gauntlet-partition-${step.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 63).replace(/-+$/, '');

registerReverter('network-partition', async (spec, env) => {
  const kube = (await env.kube()) as Kube;
  const ref = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name: spec.name as string, namespace: spec.namespace as string };
  const live = await kube.get<{ metadata: { annotations?: Record<string, string> } }>(ref);
  if (!live) return 'noop';
  const mark = live.metadata.annotations?.[RUN_MARK];
  if (mark !== spec.runId) throw new Error(`NetworkPolicy ${ref.name} in ${ref.namespace} carries ${RUN_MARK}=${mark ?? '(none)'}, not ${String(spec.runId)}: not this run's, left in place`);
  return (await kube.delete(ref)) === 'absent' ? 'noop' : undefined;
});

registerFault({
  kind: 'network-partition',
  summary: 'cut the selected pods off (ingress, egress or both) with a deny NetworkPolicy; removed on revert',
  params,
  needsCluster: true,
  figures: [],
  async targets(step, scenario, kube) {
    const namespace = step.params.namespace ?? scenario.target.namespace!;
    const { items } = await kube.list<{ metadata: { name: string } }>({ apiVersion: 'v1', kind: 'Pod', namespace, labelSelector: step.params.selector });
    return [`pods cut off now: ${items.map((p) => `${namespace}/${p.metadata.name}`).join(', ') || 'none (pods that match later are cut off too)'}`];
  },
  describeTarget: (p) => `pods ${p.selector}${p.namespace ? ` in ${p.namespace}` : ''}`,
  check: (step, scenario) =>
    step.params.namespace || scenario.target.namespace ? [] : [[['namespace'], 'set namespace here or target.namespace: faults only touch a namespace you name']],
  plan: (step) => [`  create NetworkPolicy ${policyName(step.id)} denying all ${step.params.direction === 'both' ? 'ingress and egress' : step.params.direction} of pods ${step.params.selector}; deleted on revert`],
  async inject(ctx) {
    const p = ctx.step.params;
    const kube = await ctx.kube();
    const namespace = p.namespace ?? ctx.scenario.target.namespace!;
    const name = policyName(ctx.step.id);
    const policyTypes = p.direction === 'both' ? ['Ingress', 'Egress'] : [p.direction === 'ingress' ? 'Ingress' : 'Egress'];
    return {
      change: { description: `create NetworkPolicy/${name} in ${namespace} (deny ${policyTypes.join('+').toLowerCase()} of ${p.selector})`, revert: { kind: 'network-partition', name, namespace, runId: ctx.runId } },
      make: async () => {
        await kube.create({
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: { name, namespace, annotations: { [RUN_MARK]: ctx.runId }, labels: { 'app.kubernetes.io/managed-by': 'gauntlet' } },
          spec: { podSelector: { matchLabels: matchLabels(p.selector) }, policyTypes },
        } as never);
        return { onset: ctx.clock.now() };
      },
    };
  },
});
