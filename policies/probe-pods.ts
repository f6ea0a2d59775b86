/**
 * Probe pods: short-lived, unprivileged (Pod Security "restricted"), carrying a workload's labels,
 * owned by a per-run ConfigMap so no ReplicaSet adopts them and deleting the ConfigMap collects them,
 * never Ready so no Service sends them traffic.
 *
 * Each probe pod (with its ConfigMap) is one change in the run's ledger (core/changes.ts): journaled
 * before it is made, undone by the `probe-pod` reverter below, so `gauntlet recover <run-dir>` removes
 * what a crashed run left. What Gauntlet creates carries the run id in an annotation, and the reverter
 * never deletes an object without that mark.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { registerReverter } from '../core/changes.ts';
import type { RevertSpec } from '../core/events.ts';
import type { Kube } from '../core/kube.ts';

export const PROBE_RUN_LABEL = 'gauntlet.dev/probe-run';
/** The mark: the id of the run that created the object. */
export const RUN_ID_ANNOTATION = 'gauntlet.dev/run-id';
/** The lab's image (built from lab/images/probe); elsewhere pass `--image` or GAUNTLET_PROBE_IMAGE. */
export const DEFAULT_PROBE_IMAGE = 'gauntlet.local/probe:v1';
/** Time a probe pod may take to be scheduled, pull its (small) image and start, on top of its script. */
const START_SECONDS = 60;

export type ProbeKind = 'tcp' | 'udp' | 'http';

export interface ProbeCheck {
  id: number;
  kind: ProbeKind;
  /** `10.77.0.201:9000` or `http://10.77.0.201:80/` */
  target: string;
}

/**
 * The shell run by the probe pod: wait `settleSeconds` (the enforcer programs rules for a new
 * pod's IP asynchronously; traffic in that gap says nothing about the policy), then every check in
 * parallel, each retried until it connects.
 */
export function probeScript(checks: readonly ProbeCheck[], retries: number, timeoutSeconds: number, settleSeconds = 0): string {
  const lines = [
    ...(settleSeconds > 0 ? [`sleep ${settleSeconds}`] : []),
    'p() { id=$1; shift; i=0; out=""',
    `  while [ $i -le ${retries} ]; do out=$(/bin/probe -timeout ${timeoutSeconds}s "$@" 2>&1); if [ $? -eq 0 ]; then echo "RESULT $id OK $out"; return; fi; i=$((i+1)); done`,
    '  echo "RESULT $id FAIL $out"; }',
  ];
  for (const c of checks) lines.push(`p ${c.id} ${c.kind} '${c.target.replace(/'/g, '')}' &`);
  lines.push('wait', 'echo DONE');
  return lines.join('\n');
}

/**
 * The longest a probe pod may live: its script (every attempt is a dial and a read, each bounded
 * by the attempt timeout) plus the time to start. Kubernetes kills it then (activeDeadlineSeconds),
 * even when Gauntlet is gone.
 */
export function probeLifetimeSeconds(retries: number, attemptSeconds: number, settleSeconds: number): number {
  return settleSeconds + (retries + 1) * 2 * attemptSeconds + 2 + START_SECONDS;
}

export interface ProbePodSpec {
  /** Value of the probe-run label (short, per probe run). */
  run: string;
  /** Id of the run that journals the change: the mark on every object. */
  runId: string;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  image: string;
  script: string;
  deadlineSeconds: number;
}

export interface ProbePodRevert extends RevertSpec {
  kind: 'probe-pod';
  namespace: string;
  name: string;
  runId: string;
}

export function probePodRevert(s: Pick<ProbePodSpec, 'namespace' | 'name' | 'runId'>): ProbePodRevert {
  return { kind: 'probe-pod', namespace: s.namespace, name: s.name, runId: s.runId };
}

export async function createProbePod(kube: Kube, s: ProbePodSpec): Promise<void> {
  const runLabels = { [PROBE_RUN_LABEL]: s.run, 'app.kubernetes.io/managed-by': 'gauntlet' };
  const annotations = { [RUN_ID_ANNOTATION]: s.runId };
  const owner = await kube.create<KubernetesObject>({
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: s.name, namespace: s.namespace, labels: runLabels, annotations }, data: { purpose: 'owns a gauntlet egress probe pod' },
  } as KubernetesObject);
  const pod = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: s.name, namespace: s.namespace,
      labels: { ...s.labels, [PROBE_RUN_LABEL]: s.run },
      annotations,
      ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: s.name, uid: owner.metadata?.uid as string, controller: true, blockOwnerDeletion: false }],
    },
    spec: {
      restartPolicy: 'Never',
      activeDeadlineSeconds: s.deadlineSeconds,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 0,
      securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{
        name: 'probe', image: s.image, imagePullPolicy: 'IfNotPresent',
        command: ['/bin/sh', '-c', s.script],
        securityContext: { allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        readinessProbe: { exec: { command: ['/bin/sh', '-c', 'exit 1'] }, periodSeconds: 3600 },
        resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
      }],
    },
  };
  await kube.create(pod as KubernetesObject);
}

type Marked = KubernetesObject & { metadata?: { annotations?: Record<string, string> } };

/**
 * Remove one probe pod and its ConfigMap, only if they carry this run's mark. Returns how many
 * objects were deleted (0: already gone). Safe to repeat.
 */
export async function removeProbePod(kube: Kube, r: Pick<ProbePodRevert, 'namespace' | 'name' | 'runId'>): Promise<number> {
  let n = 0;
  for (const kind of ['Pod', 'ConfigMap']) {
    const ref = { apiVersion: 'v1', kind, namespace: r.namespace, name: r.name };
    const o = await kube.get<Marked>(ref);
    if (!o) continue;
    const mark = o.metadata?.annotations?.[RUN_ID_ANNOTATION];
    if (mark !== r.runId) {
      throw new Error(`${kind} ${r.namespace}/${r.name} does not carry ${RUN_ID_ANNOTATION}=${r.runId} (${mark ? `it says ${mark}` : 'no mark'}): not ours, left alone`);
    }
    if ((await kube.delete(ref, { gracePeriodSeconds: 0 })) === 'deleted') n++;
  }
  return n;
}

registerReverter('probe-pod', async (spec, env) => {
  const n = await removeProbePod((await env.kube()) as Kube, spec as ProbePodRevert);
  return n ? undefined : 'noop';
});

/** What a probe pod's status says: still going, finished, or its image cannot be pulled. */
export type ProbePodState = { kind: 'pending' } | { kind: 'finished'; phase: string } | { kind: 'image-pull'; node: string; reason: string; message: string };

const PULL_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);

export function probePodState(pod: unknown): ProbePodState {
  const p = pod as { spec?: { nodeName?: string }; status?: { phase?: string; containerStatuses?: { state?: { waiting?: { reason?: string; message?: string } } }[] } } | undefined;
  const phase = p?.status?.phase ?? 'Gone';
  if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Gone') return { kind: 'finished', phase };
  for (const c of p?.status?.containerStatuses ?? []) {
    const w = c.state?.waiting;
    if (w?.reason && PULL_FAILURES.has(w.reason)) return { kind: 'image-pull', node: p?.spec?.nodeName ?? '(unscheduled)', reason: w.reason, message: w.message ?? '' };
  }
  return { kind: 'pending' };
}

export async function podLog(kube: Kube, namespace: string, name: string): Promise<string> {
  return kube.logs({ name, namespace, container: 'probe' });
}

/**
 * The fallback when no journal says what was made: delete every marked probe pod and ConfigMap of
 * a run (or of every run), by label. Objects without the run-id mark are left alone. Safe to repeat.
 */
export async function cleanupProbes(kube: Kube, run?: string, runId?: string): Promise<number> {
  const labelSelector = run ? `${PROBE_RUN_LABEL}=${run}` : PROBE_RUN_LABEL;
  let n = 0;
  for (const kind of ['Pod', 'ConfigMap']) {
    const { items } = await kube.list<Marked>({ apiVersion: 'v1', kind, labelSelector });
    for (const o of items) {
      const mark = o.metadata?.annotations?.[RUN_ID_ANNOTATION];
      if (!mark || (runId && mark !== runId)) continue;
      const r = await kube.delete({ apiVersion: 'v1', kind, namespace: o.metadata?.namespace, name: o.metadata?.name as string }, { gracePeriodSeconds: 0 });
      if (r === 'deleted') n++;
    }
  }
  return n;
}
