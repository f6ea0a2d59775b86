/**
 * spot-interruption: what AWS does to a spot instance, then what the cluster's handler does.
 * Per node: an optional rebalance recommendation `rebalance` before the notice, the interruption
 * notice `notice` (120 s on AWS) before T, the handler's response (aws-node-termination-handler:
 * taint aws-node-termination-handler/spot-itn, cordon, PDB-respecting drain bounded by T;
 * karpenter: taint karpenter.sh/disrupted:NoSchedule and evict; none: only the notice, for
 * clusters running the real handler), and at T the node is gone whatever remains. A storm
 * staggers several nodes by `stagger`. With `replacement`, a node joins after T (lab: the same
 * node starts again, clean, as a fresh instance would).
 *
 * Figures (per node): noticeToDrainedSeconds, podsEvictedBeforeT, podsKilledAtT,
 * displacedReadySeconds (notice to as many Ready pods elsewhere as before),
 * replacementReadySeconds (T to the replacement Ready); requestsFailed during the window, from
 * the load's windows. An AWS FIS experiment template for the same targets is written to the run
 * directory (not run).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { registerReverter } from '../../core/changes.ts';
import { formatDuration } from '../../core/duration.ts';
import { duration } from '../../core/fields.ts';
import type { Kube } from '../../core/kube.ts';
import { sleep } from '../../core/proc.ts';
import type { StepContext } from '../../core/steps.ts';
import { drainable, drainNode } from '../drain.ts';
import { countFailedRequests, REQUESTS_FAILED_DEFINITION } from '../requests-failed.ts';
import { registerFault } from '../fault.ts';
import { nodeTargets } from '../plan-targets.ts';
import { bringBack, lossMethod, loseNode, readyCounts, readyElsewhere } from '../node-power.ts';
import { changeNode, checkCap, describeSelection, nodeReady, nodeSelection, restoreNode, selectNodes, type Node } from '../nodes.ts';
import { victimSeed } from './pod-kill.ts';

const params = z.strictObject({
  nodes: nodeSelection.default({ spot: true, maxNodes: 1 }),
  notice: duration.default(120_000),
  /** Rebalance recommendation this long before the notice (none when unset). */
  rebalance: duration.optional(),
  handler: z.enum(['aws-node-termination-handler', 'karpenter', 'none']).default('aws-node-termination-handler'),
  /** Storm: each further node's notice comes this much later. */
  stagger: duration.default(0),
  replacement: z.boolean().default(false),
  evictionRetry: duration.default(5000),
  /** Namespaces the handler drains and whose pods are measured (default: the scenario's target namespace). */
  namespaces: z.array(z.string().min(1)).min(1).optional(),
  elsewhere: z.enum(['refuse', 'delete']).default('refuse'),
});
type Params = z.infer<typeof params>;
declare module '../../core/scenario.ts' {
  interface StepParamsByKind {
    'spot-interruption': Params;
  }
}

export const TAINTS = {
  itn: 'aws-node-termination-handler/spot-itn',
  rebalance: 'aws-node-termination-handler/rebalance-recommendation',
  karpenter: 'karpenter.sh/disrupted',
} as const;
const NOTICE_ANNOTATION = 'gauntlet.dev/spot-interruption-time';

/** Last moment of the timeline, ms after the fault starts. */
export const timelineMs = (p: Params, nodes: number): number => (p.rebalance ?? 0) + p.notice + p.stagger * Math.max(0, nodes - 1);

/** The AWS FIS experiment that would do this for real (never run by Gauntlet). */
export function fisTemplate(p: Params, nodes: Node[], scenario: string): Record<string, unknown> {
  const arns = nodes.map((n) => n.spec?.providerID?.match(/^aws:\/\/\/([a-z0-9-]+)\/(i-[0-9a-f]+)$/)).filter((m): m is RegExpMatchArray => !!m);
  const secs = Math.max(120, Math.min(900, Math.round(p.notice / 1000)));
  return {
    description: `gauntlet ${scenario}: spot interruption of ${nodes.map((n) => n.metadata.name).join(', ')}`,
    targets: {
      spotInstances: {
        resourceType: 'aws:ec2:spot-instance',
        ...(arns.length === nodes.length
          ? { resourceArns: arns.map((m) => `arn:aws:ec2:${m[1]!.replace(/[a-z]$/, '')}:<account-id>:instance/${m[2]}`) }
          : { resourceTags: { 'eks:cluster-name': '<cluster>' }, filters: [{ path: 'State.Name', values: ['running'] }] }),
        selectionMode: arns.length === nodes.length ? 'ALL' : `COUNT(${nodes.length})`,
      },
    },
    actions: {
      interrupt: {
        actionId: 'aws:ec2:send-spot-instance-interruptions',
        description: p.notice < 120_000 ? `FIS gives at least PT2M notice; the emulation used ${formatDuration(p.notice)}` : undefined,
        parameters: { durationBeforeInterruption: `PT${secs}S` },
        targets: { SpotInstances: 'spotInstances' },
      },
    },
    stopConditions: [{ source: 'none' }],
    roleArn: 'arn:aws:iam::<account-id>:role/<fis-experiment-role>',
    tags: { 'managed-by': 'gauntlet' },
  };
}

registerReverter('spot-interruption', async (spec, env) => {
  const kube = (await env.kube()) as Kube;
  let any = false;
  for (const n of spec.nodes as Array<{ node: string; how: 'lab-stop' | 'delete' }>) {
    if ((await bringBack(n.node, n.how)) === 'started') any = true;
    if ((await restoreNode(kube, { node: n.node, step: spec.step as string, runId: spec.runId as string })) === 'restored') any = true;
  }
  return any ? undefined : 'noop';
});

/**
 * The handler taint's value (aws-node-termination-handler puts its event id there): a label value,
 * so at most 63 characters that start and end alphanumeric; cut at 63, a long node name
 * (gauntlet-lab-worker2, ip-10-0-1-2.eu-west-1.compute.internal) could leave a trailing '-'.
 */
export function interruptionEventId(runId: string, node: string): string {
  return `gauntlet-${runId}-${node}`.slice(0, 63).replace(/[^A-Za-z0-9]+$/, '');
}

const runs = new Map<string, { nodes: Array<{ node: string; how: 'lab-stop' | 'delete' }>; start: number; namespaces: string[]; before: Map<string, number> }>();

async function interrupt(ctx: StepContext<Params>, kube: Kube, node: string, how: 'lab-stop' | 'delete', startAt: number, namespaces: string[], before: Map<string, number>, window: AbortSignal): Promise<void> {
  const p = ctx.step.params;
  const labels = { node };
  const fig = (name: string, value: number, unit: string, definition?: string) => ctx.journal.append({ type: 'figure', step: ctx.step.id, name, value, unit, labels, ...(definition ? { definition } : {}) });
  const mark = (label: string, data?: Record<string, unknown>) => ctx.journal.append({ type: 'mark', step: ctx.step.id, label, data: { node, ...data } });
  const until = async (t: number) => t <= ctx.clock.now() || (await sleep(t - ctx.clock.now(), window));
  const eventId = interruptionEventId(ctx.runId, node);

  if (!(await until(startAt))) return;
  if (p.rebalance !== undefined) {
    mark(`rebalance recommendation for ${node}`);
    if (p.handler === 'aws-node-termination-handler') await changeNode(kube, node, ctx.step.id, ctx.runId, { taints: [{ key: TAINTS.rebalance, value: eventId, effect: 'PreferNoSchedule' }] });
  }
  const noticeAt = startAt + (p.rebalance ?? 0);
  const T = noticeAt + p.notice;
  if (!(await until(noticeAt))) return;
  mark(`spot interruption notice for ${node}: gone in ${formatDuration(p.notice)}`, { handler: p.handler });
  // The notice itself, for a real handler to read (handler none) and for people: an annotation.
  const notice = { [NOTICE_ANNOTATION]: new Date(Date.now() + p.notice).toISOString() };
  // Displaced pods can be Ready elsewhere before T (drained) or only after it (lost): watched from the notice on.
  const lost = new Set([node]);
  const displaced = (async () => {
    while (namespaces.length && !window.aborted) {
      if (await readyElsewhere(kube, namespaces, lost, before)) {
        fig('displacedReadySeconds', (ctx.clock.now() - noticeAt) / 1000, 's', 'notice to as many Ready pods on other nodes as were Ready before (scenario namespaces)');
        return;
      }
      await sleep(500, window);
    }
  })();
  let evicted = 0;
  if (p.handler === 'none') await changeNode(kube, node, ctx.step.id, ctx.runId, { annotations: notice });
  else {
    const taint = p.handler === 'karpenter' ? { key: TAINTS.karpenter, effect: 'NoSchedule' as const } : { key: TAINTS.itn, value: eventId, effect: 'NoSchedule' as const };
    await changeNode(kube, node, ctx.step.id, ctx.runId, { taints: [taint], cordon: p.handler === 'aws-node-termination-handler', annotations: notice });
    const r = await drainNode(kube, node, {
      namespaces, retryMs: p.evictionRetry, deadline: T, now: () => ctx.clock.now(), signal: window,
      onBlocked: (pod) => mark(`eviction of ${pod} blocked by a PodDisruptionBudget; retrying every ${formatDuration(p.evictionRetry)} until T`, { pod, http: 429 }),
    });
    evicted = r.evicted.length;
    if (r.drainedAt !== undefined) fig('noticeToDrainedSeconds', (r.drainedAt - noticeAt) / 1000, 's', 'interruption notice to every evicted pod gone from the node');
  }
  if (!(await until(T))) return;
  const left = await drainable(kube, node, namespaces);
  fig('podsEvictedBeforeT', evicted, 'pods', 'evicted by the handler before the node went');
  fig('podsKilledAtT', left.length, 'pods', 'still on the node when it went (no graceful exit)');
  mark(`${node} is gone (T): ${left.length} pod(s) lost with it`);
  await loseNode(kube, node, how, { step: ctx.step.id, runId: ctx.runId });
  // The instance is gone: so are its pods (force-deleted, as the pod GC would once the Node went).
  if (how === 'lab-stop') for (const pod of await drainable(kube, node)) await kube.delete({ apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, namespace: pod.metadata.namespace }, { gracePeriodSeconds: 0 });

  if (p.replacement) {
    await bringBack(node, how);
    // Ready as reported by the new kubelet: a heartbeat after it started (the old Ready may not have expired yet).
    const joined = Math.floor(Date.now() / 1000) * 1000;
    await restoreNode(kube, { node, step: ctx.step.id, runId: ctx.runId });
    while (!window.aborted) {
      const n = await kube.get<Node>({ apiVersion: 'v1', kind: 'Node', name: node });
      const beat = n?.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime;
      if (nodeReady(n) && beat && new Date(beat).getTime() >= joined) {
        fig('replacementReadySeconds', (ctx.clock.now() - T) / 1000, 's', 'T to the replacement node Ready, by a heartbeat of its new kubelet');
        break;
      }
      await sleep(500, window);
    }
  }
  await displaced;
}

registerFault({
  kind: 'spot-interruption',
  summary: 'emulate a spot interruption (rebalance, 2-minute notice, handler drain, node gone at T), one node or a staggered storm',
  params,
  needsCluster: true,
  figures: ['noticeToDrainedSeconds', 'podsEvictedBeforeT', 'podsKilledAtT', 'displacedReadySeconds', 'replacementReadySeconds', 'requestsFailed'],
  targets: async (step, scenario, kube) => nodeTargets(kube, step, scenario, { evicts: step.params.handler !== 'none', loses: true }),
  describeTarget: (p) => describeSelection(p.nodes),
  check: (step) => {
    const out = checkCap(step.params.nodes, ['nodes']);
    const need = timelineMs(step.params, step.params.nodes.names?.length ?? step.params.nodes.count ?? 1);
    if (step.duration !== undefined && step.duration < need) out.push([['notice'], `the fault's duration (${formatDuration(step.duration)}) ends before T (${formatDuration(need)} after it starts): lengthen it or shorten the notice`]);
    return out;
  },
  plan: (step) => {
    const p = step.params;
    return [
      `  ${p.rebalance !== undefined ? `rebalance recommendation, then ${formatDuration(p.rebalance)} later ` : ''}the interruption notice; the node is gone ${formatDuration(p.notice)} after it (T)${p.stagger ? `; each further node ${formatDuration(p.stagger)} later (storm)` : ''}`,
      p.handler === 'none'
        ? '  handler none: only the notice (annotation gauntlet.dev/spot-interruption-time and a journal mark); your own handler must drain'
        : `  handler ${p.handler}: taint ${p.handler === 'karpenter' ? `${TAINTS.karpenter}:NoSchedule` : `${TAINTS.itn}, cordon`}, evict pods of the scenario's namespaces (PodDisruptionBudgets respected until T)`,
      '  at T: whatever remains is lost with the node: PodDisruptionBudgets cannot protect it (that is the fault)',
      `  ${p.replacement ? 'a replacement node joins after T' : 'no replacement: the node comes back on revert'}; an AWS FIS template is written to the run directory`,
    ];
  },
  async inject(ctx) {
    const p = ctx.step.params;
    const kube = await ctx.kube();
    const chosen = await selectNodes(kube, p.nodes, victimSeed(ctx.scenario.seed, ctx.step.id, 1));
    const nodes = chosen.map((n) => ({ node: n.metadata.name, how: lossMethod(kube, n.metadata.name, p.elsewhere) }));
    const namespaces = p.namespaces ?? (ctx.scenario.target.namespace ? [ctx.scenario.target.namespace] : []);
    if (ctx.runDir) writeFileSync(join(ctx.runDir, `fis-${ctx.step.id}.json`), JSON.stringify(fisTemplate(p, chosen, ctx.scenario.name), null, 2) + '\n');
    return {
      change: { description: `spot-interrupt node${nodes.length > 1 ? 's' : ''} ${nodes.map((n) => n.node).join(', ')} (notice ${formatDuration(p.notice)}, handler ${p.handler})`, revert: { kind: 'spot-interruption', nodes, step: ctx.step.id, runId: ctx.runId } },
      make: async () => {
        runs.set(`${ctx.runId}/${ctx.step.id}`, { nodes, start: ctx.clock.now(), namespaces, before: await readyCounts(kube, namespaces) });
        return { onset: ctx.clock.now() };
      },
    };
  },
  async observe(ctx, window) {
    const r = runs.get(`${ctx.runId}/${ctx.step.id}`)!;
    const kube = await ctx.kube();
    const failed = countFailedRequests(ctx.journal, r.start);
    try {
      await Promise.all(r.nodes.map((n, i) => interrupt(ctx, kube, n.node, n.how, r.start + i * ctx.step.params.stagger, r.namespaces, r.before, window)));
      await sleep(ctx.deadline - ctx.clock.now(), window);
    } finally {
      ctx.journal.append({ type: 'figure', step: ctx.step.id, name: 'requestsFailed', value: failed(), unit: 'requests', definition: REQUESTS_FAILED_DEFINITION });
    }
  },
});
