/**
 * Per-version Services: one selecting only stable's pods, one selecting only the canary's. The
 * `httproute` router weights them; attribution by dedicated traffic (canary/probes.ts) probes
 * them directly when the service does not report its version.
 *
 * - `<service>-stable`: the user's Service selector plus `pod-template-hash` of the stable
 *   Deployment's current ReplicaSet (canary pods carry the same app labels, but their ReplicaSet's
 *   hash differs), so the stable pods are selected without touching them;
 * - `<service>-canary`: `gauntlet.dev/canary=<workload>`, the canary Deployment's own label.
 *
 * Both copy the user's Service ports, are annotated with the run id, journaled before they are
 * created, and removed by the same reverter as `deploy` (only an object carrying this run's id).
 */
import type { Kube } from '../../core/kube.ts';
import { sleep } from '../../core/proc.ts';
import type { StepContext } from '../../core/steps.ts';
import { RUN_MARK } from '../strategies/deploy.ts';
import type { CanaryTarget, VersionServices } from '../router.ts';
import { CANARY_LABEL, journaled } from './replicas.ts';

export const versionServiceNames = (service: string) => ({ stable: `${service}-stable`, canary: `${service}-canary` });

type Port = { name?: string; port: number; targetPort?: number | string; protocol?: string };
type Service = { apiVersion: string; kind: string; metadata: { name: string }; spec?: { selector?: Record<string, string>; ports?: Port[]; clusterIP?: string } };
type ReplicaSet = { metadata: { labels?: Record<string, string>; annotations?: Record<string, string>; ownerReferences?: Array<{ uid: string }> }; spec?: { replicas?: number } };

/** pod-template-hash of the stable Deployment's current ReplicaSet (the one at its revision). */
export async function stableTemplateHash(kube: Kube, t: Pick<CanaryTarget, 'namespace' | 'stable'>): Promise<string> {
  const d = await kube.get<{ apiVersion: string; kind: string; metadata: { uid?: string; annotations?: Record<string, string> }; spec: { selector?: { matchLabels?: Record<string, string> } } }>({ apiVersion: 'apps/v1', kind: 'Deployment', name: t.stable, namespace: t.namespace });
  if (!d) throw new Error(`Deployment ${t.stable} not found in ${t.namespace}`);
  const revision = d.metadata.annotations?.['deployment.kubernetes.io/revision'];
  const sel = Object.entries(d.spec.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
  const rss = (await kube.list<any>({ apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: t.namespace, ...(sel ? { labelSelector: sel } : {}) })).items as ReplicaSet[];
  const mine = rss.filter((r) => r.metadata.ownerReferences?.some((o) => o.uid === d.metadata.uid));
  const current = mine.find((r) => r.metadata.annotations?.['deployment.kubernetes.io/revision'] === revision);
  const live = mine.filter((r) => (r.spec?.replicas ?? 0) > 0);
  if (!current?.metadata.labels?.['pod-template-hash']) throw new Error(`Deployment/${t.stable}: no ReplicaSet at its revision ${revision ?? '?'} (is it rolling out?)`);
  if (live.length > 1) throw new Error(`Deployment/${t.stable} is mid-rollout (${live.length} ReplicaSets with replicas): wait until it is available before a canary`);
  return current.metadata.labels['pod-template-hash'];
}

/** Ready endpoint addresses of a Service, from its EndpointSlices. */
export async function readyEndpoints(kube: Kube, namespace: string, service: string): Promise<number> {
  const slices = (await kube.list<any>({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', namespace, labelSelector: `kubernetes.io/service-name=${service}` })).items as Array<{ endpoints?: Array<{ conditions?: { ready?: boolean } }> }>;
  return slices.reduce((a, s) => a + (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length, 0);
}

/**
 * Create both Services (journaled first, each its own change), wait (bounded, 30 s) until the
 * stable one has endpoints. Returns the names and the change ids (newest last).
 */
export async function createVersionServices(ctx: StepContext<any>, kube: Kube, t: CanaryTarget, onId: (id: string) => void): Promise<VersionServices> {
  const svc = await kube.get<Service>({ apiVersion: 'v1', kind: 'Service', name: t.service, namespace: t.namespace });
  if (!svc) throw new Error(`Service ${t.service} not found in ${t.namespace}`);
  const ports = (svc.spec?.ports ?? []).map(({ name, port, targetPort, protocol }) => ({ ...(name ? { name } : {}), port, ...(targetPort !== undefined ? { targetPort } : {}), ...(protocol ? { protocol } : {}) }));
  if (!ports.length) throw new Error(`Service ${t.service} has no ports`);
  const hash = await stableTemplateHash(kube, t);
  const names = versionServiceNames(t.service);
  const make = async (name: string, selector: Record<string, string>, role: string) => {
    const ref = { apiVersion: 'v1', kind: 'Service', name, namespace: t.namespace };
    const obj = { ...ref, metadata: { name, namespace: t.namespace, labels: { [CANARY_LABEL]: t.stable, 'gauntlet.dev/version-role': role }, annotations: { [RUN_MARK]: t.runId } }, spec: { selector, ports } };
    await journaled(ctx, { description: `create Service/${name} in ${t.namespace} (${role} pods only: ${Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',')})`, revert: { kind: 'deploy', ref, runId: t.runId } }, () => kube.create(obj as never), onId);
  };
  await make(names.stable, { ...(svc.spec?.selector ?? {}), 'pod-template-hash': hash }, 'stable');
  await make(names.canary, { [CANARY_LABEL]: t.stable }, 'canary');
  for (let i = 0; i < 120 && !(await readyEndpoints(kube, t.namespace, names.stable)); i++) await sleep(250);
  if (!(await readyEndpoints(kube, t.namespace, names.stable))) throw new Error(`Service/${names.stable} has no ready endpoint after 30 s (selector pod-template-hash=${hash})`);
  return { ...names, port: ports[0]!.port };
}

/** A Service's ClusterIP URL for a path (probes from the host reach ClusterIPs in the lab and on most node-local set-ups). */
export async function serviceUrl(kube: Kube, namespace: string, name: string, port: number, path: string): Promise<string> {
  const s = await kube.get<Service>({ apiVersion: 'v1', kind: 'Service', name, namespace });
  const ip = s?.spec?.clusterIP;
  if (!ip || ip === 'None') throw new Error(`Service/${name} in ${namespace} has no ClusterIP`);
  return `http://${ip}${port === 80 ? '' : `:${port}`}${path.startsWith('/') ? path : `/${path}`}`;
}
