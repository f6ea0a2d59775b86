/**
 * pod-failure: the selected pods cannot run for the window: every container's image is swapped
 * for a pause image (the kubelet restarts them with it; readiness fails, the pods leave their
 * Services), and restored on revert. The original images are kept on the pod itself (an
 * annotation), so revert works without the journal; a pod that is gone needs no revert.
 *
 * Figure: podsFailed.
 */
import { z } from 'zod';
import { registerReverter } from '../../core/changes.ts';
import type { Kube } from '../../core/kube.ts';
import type { Pod } from '../drain.ts';
import { registerFault } from '../fault.ts';
import { podTargets } from '../plan-targets.ts';
import { RUN_MARK, undoKey } from '../nodes.ts';
import { checkPodSelection, podSelection, selectPods } from '../pods.ts';
import { victimSeed } from './pod-kill.ts';

const params = z.strictObject({
  ...podSelection,
  /** The image that replaces the containers' (it must be pullable by the nodes). */
  image: z.string().min(1).default('registry.k8s.io/pause:3.10'),
});
type Params = z.infer<typeof params>;
declare module '../../core/scenario.ts' {
  interface StepParamsByKind {
    'pod-failure': Params;
  }
}

interface Undo {
  runId: string;
  images: Record<string, string>;
}

export async function restorePod(kube: Kube, namespace: string, name: string, step: string, runId: string, journaled?: Record<string, string>): Promise<'restored' | 'noop'> {
  const live = await kube.get<Pod>({ apiVersion: 'v1', kind: 'Pod', name, namespace });
  if (!live) return 'noop';
  const raw = live.metadata.annotations?.[undoKey(step)];
  const onPod = raw ? (JSON.parse(raw) as Undo) : undefined;
  if (onPod && onPod.runId !== runId) throw new Error(`pod ${namespace}/${name} carries undo state of run ${onPod.runId}, not ${runId}: left as it is`);
  const images = onPod?.images ?? journaled;
  if (!images) return 'noop';
  const containers = (live.spec?.containers ?? []).filter((c) => images[c.name] && c.image !== images[c.name]).map((c) => ({ name: c.name, image: images[c.name] }));
  if (!containers.length && !onPod) return 'noop';
  await kube.patch({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, annotations: { [undoKey(step)]: null } }, spec: { containers } } as never, 'strategic');
  return 'restored';
}

registerReverter('pod-failure', async (spec, env) => {
  const kube = (await env.kube()) as Kube;
  let any = false;
  for (const pod of spec.pods as Array<{ name: string; images: Record<string, string> }>) {
    if ((await restorePod(kube, spec.namespace as string, pod.name, spec.step as string, spec.runId as string, pod.images)) === 'restored') any = true;
  }
  return any ? undefined : 'noop';
});

registerFault({
  kind: 'pod-failure',
  summary: 'make selected pods unable to run for the window (images swapped for pause) and restore them',
  params,
  needsCluster: true,
  figures: ['podsFailed'],
  targets: async (step, scenario, kube) => podTargets(kube, step, scenario),
  describeTarget: (p) => `pods ${p.selector}${p.namespace ? ` in ${p.namespace}` : ''}`,
  check: (step, scenario) => checkPodSelection(step.params, scenario.target.namespace),
  plan: (step) => [`  ${step.params.mode}${step.params.value ? ` ${step.params.value}` : ''} of the matching pods (cap ${step.params.maxPercent}%): containers run ${step.params.image} for the window, original images restored on revert (PodDisruptionBudgets do not apply: no pod is evicted)`],
  async inject(ctx) {
    const p = ctx.step.params;
    const kube = await ctx.kube();
    const namespace = p.namespace ?? ctx.scenario.target.namespace!;
    const occurrence = (occurrences.get(`${ctx.runId}/${ctx.step.id}`) ?? 0) + 1;
    occurrences.set(`${ctx.runId}/${ctx.step.id}`, occurrence);
    const { victims } = await selectPods(kube, p, namespace, victimSeed(ctx.scenario.seed, ctx.step.id, occurrence));
    const pods = victims.map((v) => ({ name: v.metadata.name, images: Object.fromEntries((v.spec?.containers ?? []).map((c) => [c.name, c.image!])) }));
    return {
      change: { description: `swap the images of pod${pods.length > 1 ? 's' : ''} ${pods.map((x) => x.name).join(', ')} in ${namespace} for ${p.image}`, revert: { kind: 'pod-failure', namespace, pods, step: ctx.step.id, runId: ctx.runId } },
      make: async () => {
        for (const pod of pods) {
          const undo: Undo = { runId: ctx.runId, images: pod.images };
          await kube.patch({
            apiVersion: 'v1', kind: 'Pod',
            metadata: { name: pod.name, namespace, annotations: { [undoKey(ctx.step.id)]: JSON.stringify(undo), [RUN_MARK]: ctx.runId } },
            spec: { containers: Object.keys(pod.images).map((name) => ({ name, image: p.image })) },
          } as never, 'strategic');
        }
        ctx.journal.append({ type: 'figure', step: ctx.step.id, name: 'podsFailed', value: pods.length, unit: 'pods' });
        return { onset: ctx.clock.now() };
      },
    };
  },
});

const occurrences = new Map<string, number>();
