/**
 * Probe pods: short-lived, unprivileged (Pod Security "restricted"), carrying a workload's labels,
 * owned by a per-run ConfigMap so no ReplicaSet adopts them and deleting the ConfigMap collects them,
 * never Ready so no Service sends them traffic. Labelled by run, so a crash is cleaned up by label.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Kube } from '../core/kube.ts';

export const PROBE_RUN_LABEL = 'gauntlet.dev/probe-run';
export const DEFAULT_PROBE_IMAGE = 'gauntlet.local/probe:v1';

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

export interface ProbePodSpec {
  run: string;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  image: string;
  script: string;
  deadlineSeconds: number;
}

export async function createProbePod(kube: Kube, s: ProbePodSpec): Promise<void> {
  const runLabels = { [PROBE_RUN_LABEL]: s.run, 'app.kubernetes.io/managed-by': 'gauntlet' };
  const owner = await kube.create<KubernetesObject>({
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: s.name, namespace: s.namespace, labels: runLabels }, data: { purpose: 'owns a gauntlet egress probe pod' },
  } as KubernetesObject);
  const pod = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: s.name, namespace: s.namespace,
      labels: { ...s.labels, [PROBE_RUN_LABEL]: s.run },
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

/** Wait until every pod has finished; bounded by `deadline` (ms epoch) and `signal`. */
export async function waitForPods(kube: Kube, pods: { namespace: string; name: string }[], deadline: number, signal?: AbortSignal): Promise<Map<string, string>> {
  const phases = new Map<string, string>();
  while (Date.now() < deadline && !signal?.aborted) {
    for (const p of pods) {
      const key = `${p.namespace}/${p.name}`;
      if (phases.get(key) === 'Succeeded' || phases.get(key) === 'Failed') continue;
      const got = await kube.get<KubernetesObject & { status?: { phase?: string } }>({ apiVersion: 'v1', kind: 'Pod', namespace: p.namespace, name: p.name });
      phases.set(key, got?.status?.phase ?? 'Gone');
    }
    if ([...phases.values()].every((x) => x === 'Succeeded' || x === 'Failed' || x === 'Gone') && phases.size === pods.length) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return phases;
}

export async function podLog(kube: Kube, namespace: string, name: string): Promise<string> {
  return kube.logs({ name, namespace, container: 'probe' });
}

/** Delete every probe pod and owner ConfigMap of a run (or of every run), by label. Safe to repeat. */
export async function cleanupProbes(kube: Kube, run?: string): Promise<number> {
  const labelSelector = run ? `${PROBE_RUN_LABEL}=${run}` : PROBE_RUN_LABEL;
  let n = 0;
  for (const kind of ['Pod', 'ConfigMap']) {
    const { items } = await kube.list({ apiVersion: 'v1', kind, labelSelector });
    for (const o of items) {
      const r = await kube.delete({ apiVersion: 'v1', kind, namespace: o.metadata?.namespace, name: o.metadata?.name as string }, { gracePeriodSeconds: 0 });
      if (r === 'deleted') n++;
    }
  }
  return n;
}
