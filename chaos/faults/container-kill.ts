/**
 * container-kill: kill one named container of the selected pods; the kubelet restarts it
 * (restartCount goes up) while the pod, its UID, IP and volumes stay. Nothing to undo.
 *
 * How (`method`):
 * - `runtime` (the local lab's nodes; `auto` picks it there): the container's main process is
 *   signalled from the host, found in the node's runc state, as the runtime does on an OOM kill.
 *   SIGKILL from outside the container's PID namespace cannot be ignored.
 * - `exec` (any cluster; `auto` elsewhere): `sh -c "kill -s <signal> 1"` inside the container (needs
 *   a shell in the image and `pods/exec`). The kernel drops SIGKILL sent to PID 1 from its own
 *   namespace, so exec sends TERM (default) or another signal the process handles; a pod with
 *   shareProcessNamespace is refused (PID 1 is then the sandbox's pause process, not the app).
 * An ephemeral debug container would share the same PID namespace (same limit) and stays in the
 * pod's spec for good, so it is not used.
 *
 * Figures (labelled by pod): runningAgainSeconds (kill to the container running again, as the
 * kubelet reports it), restarts (restartCount added during the window); requestsFailed.
 */
import { z } from 'zod';
import { registerReverter } from '../../core/changes.ts';
import { UsageError } from '../../core/errors.ts';
import type { Kube } from '../../core/kube.ts';
import { sleep } from '../../core/proc.ts';
import { labContainerKill } from '../../lab/index.ts';
import type { Pod } from '../drain.ts';
import { registerFault } from '../fault.ts';
import { isLabNode } from '../node-power.ts';
import { podTargets } from '../plan-targets.ts';
import { checkPodSelection, podSelection, selectPods } from '../pods.ts';
import { countFailedRequests, REQUESTS_FAILED_DEFINITION } from '../requests-failed.ts';
import { victimSeed } from './pod-kill.ts';

export const SIGNALS = ['KILL', 'TERM', 'INT', 'QUIT', 'HUP', 'USR1', 'USR2'] as const;

const params = z.strictObject({
  ...podSelection,
  /** The container to kill (by name); the pod's other containers are left alone. */
  container: z.string().min(1),
  method: z.enum(['auto', 'runtime', 'exec']).default('auto'),
  /** Default KILL with the runtime, TERM with exec. */
  signal: z.enum(SIGNALS).optional(),
});
type Params = z.infer<typeof params>;
declare module '../../core/scenario.ts' {
  interface StepParamsByKind {
    'container-kill': Params;
  }
}

export type KillHow = { how: 'runtime'; node: string; containerId: string; signal: (typeof SIGNALS)[number] } | { how: 'exec'; argv: string[]; signal: (typeof SIGNALS)[number] };

/** How one pod's container would be killed here, or why not (thrown: refused before acting). */
export function killHow(pod: Pod, container: string, method: Params['method'], signal: Params['signal'], onLabNode: boolean): KillHow {
  const where = `pod ${pod.metadata.namespace}/${pod.metadata.name}`;
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  if (!names.includes(container)) throw new UsageError(`${where} has no container ${container} (has: ${names.join(', ')})`);
  const runtime = method === 'runtime' || (method === 'auto' && onLabNode);
  if (runtime) {
    if (!onLabNode) throw new UsageError(`${where} runs on ${pod.spec?.nodeName}, not a lab node: the runtime method reaches only the lab's nodes`, { hint: 'use method: exec (needs a kill in the image)' });
    const id = pod.status?.containerStatuses?.find((c) => c.name === container)?.containerID;
    if (!id) throw new UsageError(`${where}: container ${container} is not running (no container id)`);
    return { how: 'runtime', node: pod.spec!.nodeName!, containerId: id, signal: signal ?? 'KILL' };
  }
  const sig = signal ?? 'TERM';
  if (sig === 'KILL') throw new UsageError(`${where}: exec cannot SIGKILL the container's main process (the kernel ignores SIGKILL sent to PID 1 from inside its own PID namespace)`, { hint: 'use signal: TERM (or one the process handles), or the runtime method in the lab' });
  if (pod.spec?.shareProcessNamespace) throw new UsageError(`${where} shares one process namespace: PID 1 is the pod's pause process, and killing it would kill the whole pod`, { hint: 'use the runtime method, or pod-kill' });
  // The shell's builtin kill: images with a shell but no kill binary (busybox sh) work too.
  return { how: 'exec', argv: ['sh', '-c', `kill -s ${sig} 1`], signal: sig };
}

// The kubelet restarts the container: nothing to undo.
registerReverter('container-kill', async () => 'noop');

interface Victim {
  name: string;
  uid: string;
  restartsBefore: number;
  kill: KillHow;
  at: number;
}
const state = new Map<string, { namespace: string; victims: Victim[]; start: number }>();
const occurrences = new Map<string, number>();

const status = (p: Pod | undefined, c: string) => p?.status?.containerStatuses?.find((s) => s.name === c);

async function killOne(kube: Kube, namespace: string, v: Victim, container: string): Promise<string | undefined> {
  if (v.kill.how === 'runtime') {
    const r = await labContainerKill({ node: v.kill.node, containerId: v.kill.containerId, signal: `SIG${v.kill.signal}` as NodeJS.Signals });
    return r === 'gone' ? 'the container was no longer running' : undefined;
  }
  const r = await kube.exec({ name: v.name, namespace, container }, v.kill.argv, { timeoutMs: 15_000 });
  if (r.code !== 0) {
    throw new Error(`${v.kill.argv.join(' ')} in ${namespace}/${v.name} (${container}) failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(0, 300)}; method exec needs a shell with kill in the image`);
  }
  return undefined;
}

registerFault({
  kind: 'container-kill',
  summary: 'kill one named container of selected pods (the kubelet restarts it, the pod stays) and measure its recovery',
  params,
  needsCluster: true,
  figures: ['runningAgainSeconds', 'restarts', 'requestsFailed'],
  endMeaning: 'then the window closes; nothing is undone: the kubelet restarts the container (measured in the window)',
  targets: async (step, scenario, kube) => podTargets(kube, step, scenario),
  describeTarget: (p) => `container ${p.container} of pods ${p.selector}${p.namespace ? ` in ${p.namespace}` : ''}`,
  check: (step, scenario) => {
    const out = checkPodSelection(step.params, scenario.target.namespace);
    if (step.params.method === 'exec' && step.params.signal === 'KILL') out.push([['signal'], 'exec cannot SIGKILL a container\'s PID 1 from inside its PID namespace (the kernel ignores it): use TERM, or method runtime in the lab']);
    return out;
  },
  plan: (step) => {
    const p = step.params;
    const how = p.method === 'exec' ? `exec kill -s ${p.signal ?? 'TERM'} 1 in the container` : p.method === 'runtime' ? `SIG${p.signal ?? 'KILL'} from the node's runtime (lab nodes)` : `SIG${p.signal ?? 'KILL'} from the node's runtime on lab nodes, else exec kill -s ${p.signal === 'KILL' || !p.signal ? 'TERM' : p.signal} 1`;
    return [`  ${p.mode}${p.value ? ` ${p.value}` : ''} of the matching pods (cap ${p.maxPercent}%): container ${p.container} killed (${how}); the kubelet restarts it, the pod stays (PodDisruptionBudgets do not apply: no pod is evicted)`];
  },
  async inject(ctx) {
    const p = ctx.step.params;
    const kube = await ctx.kube();
    const namespace = p.namespace ?? ctx.scenario.target.namespace!;
    const key = `${ctx.runId}/${ctx.step.id}`;
    const occurrence = (occurrences.get(key) ?? 0) + 1;
    occurrences.set(key, occurrence);
    const { victims } = await selectPods(kube, p, namespace, victimSeed(ctx.scenario.seed, ctx.step.id, occurrence));
    const vs: Victim[] = victims.map((pod) => ({
      name: pod.metadata.name,
      uid: pod.metadata.uid,
      restartsBefore: status(pod, p.container)?.restartCount ?? 0,
      kill: killHow(pod, p.container, p.method, p.signal, isLabNode(kube, pod.spec?.nodeName ?? '')),
      at: 0,
    }));
    const how = [...new Set(vs.map((v) => (v.kill.how === 'runtime' ? `SIG${v.kill.signal} from the node's runtime` : `exec ${v.kill.argv.join(' ')}`)))].join(', ');
    return {
      change: {
        description: `kill container ${p.container} of pod${vs.length > 1 ? 's' : ''} ${vs.map((v) => v.name).join(', ')} in ${namespace} (${how})`,
        revert: { kind: 'container-kill', namespace, container: p.container, pods: vs.map((v) => v.name) },
      },
      make: async () => {
        const s = { namespace, victims: [] as Victim[], start: ctx.clock.now() };
        state.set(key, s);
        for (const v of vs) {
          v.at = ctx.clock.now();
          const skipped = await killOne(kube, namespace, v, p.container);
          ctx.journal.append({ type: 'mark', step: ctx.step.id, label: skipped ? `container ${p.container} of ${v.name} not killed: ${skipped}` : `killed container ${p.container} of ${v.name}`, data: { pod: v.name, uid: v.uid, restartCount: v.restartsBefore, ...(v.kill.how === 'runtime' ? { containerId: v.kill.containerId } : { argv: v.kill.argv }), signal: v.kill.signal } });
          if (!skipped) s.victims.push(v);
        }
        if (!s.victims.length) return { ineffective: `no container ${p.container} was running to kill` };
        return { onset: s.victims[0]!.at };
      },
    };
  },
  async observe(ctx, window) {
    const p = ctx.step.params;
    const s = state.get(`${ctx.runId}/${ctx.step.id}`)!;
    const kube = await ctx.kube();
    const failed = countFailedRequests(ctx.journal, s.start);
    const fig = (v: Victim, name: string, value: number, unit: string, definition: string) => ctx.journal.append({ type: 'figure', step: ctx.step.id, name, value, unit, labels: { pod: v.name }, definition });
    const pending = new Set(s.victims);
    const last = new Map<Victim, number>();
    try {
      while (!window.aborted && !ctx.signal.aborted) {
        for (const v of s.victims) {
          const pod = await kube.get<Pod>({ apiVersion: 'v1', kind: 'Pod', name: v.name, namespace: s.namespace });
          if (!pod || pod.metadata.uid !== v.uid) {
            if (pending.delete(v)) ctx.journal.append({ type: 'log', level: 'warn', step: ctx.step.id, msg: `pod ${v.name} was replaced, not its container restarted` });
            continue;
          }
          const st = status(pod, p.container);
          last.set(v, st?.restartCount ?? v.restartsBefore);
          if (pending.has(v) && st && st.restartCount > v.restartsBefore && st.state?.running) {
            pending.delete(v);
            fig(v, 'runningAgainSeconds', Math.round(ctx.clock.now() - v.at) / 1000, 's', 'kill to the container running again, as the kubelet reports it (polled every 250 ms)');
          }
        }
        await sleep(250, window);
      }
    } finally {
      // exec's TERM to a PID 1 without a handler is dropped by the kernel: say so rather than stay silent.
      for (const v of pending) ctx.journal.append({ type: 'log', level: 'warn', step: ctx.step.id, msg: `container ${p.container} of ${v.name} was not running again by the window's end${(last.get(v) ?? v.restartsBefore) === v.restartsBefore ? ': it never restarted (the signal was ignored or handled without exiting)' : ''}` });
      for (const v of s.victims) fig(v, 'restarts', (last.get(v) ?? v.restartsBefore) - v.restartsBefore, 'restarts', 'restartCount added from the kill to the end of the window');
      ctx.journal.append({ type: 'figure', step: ctx.step.id, name: 'requestsFailed', value: failed(), unit: 'requests', definition: REQUESTS_FAILED_DEFINITION });
    }
  },
});
