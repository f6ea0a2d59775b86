/**
 * Reading the objects the analysis needs from a live cluster, through core/kube.ts.
 * Admin-policy kinds and CNI policy kinds are read when their API exists; absent APIs are skipped.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { connect, type Kube } from '../core/kube.ts';
import { defaultOptions, type GauntletOptions } from '../core/options.ts';
import type { InputObject } from './sources.ts';

const CORE = [
  ['v1', 'Namespace'], ['v1', 'Pod'],
  ['apps/v1', 'Deployment'], ['apps/v1', 'StatefulSet'], ['apps/v1', 'DaemonSet'], ['apps/v1', 'ReplicaSet'],
  ['batch/v1', 'Job'], ['batch/v1', 'CronJob'],
  ['networking.k8s.io/v1', 'NetworkPolicy'],
] as const;

/** Optional APIs: read when installed. CNI kinds make affected verdicts inconclusive. */
const OPTIONAL = [
  ['policy.networking.k8s.io/v1alpha1', 'AdminNetworkPolicy'],
  ['policy.networking.k8s.io/v1alpha1', 'BaselineAdminNetworkPolicy'],
  ['policy.networking.k8s.io/v1alpha2', 'ClusterNetworkPolicy'],
  ['cilium.io/v2', 'CiliumNetworkPolicy'],
  ['cilium.io/v2', 'CiliumClusterwideNetworkPolicy'],
  ['crd.projectcalico.org/v1', 'NetworkPolicy'],
  ['crd.projectcalico.org/v1', 'GlobalNetworkPolicy'],
  ['projectcalico.org/v3', 'NetworkPolicy'],
  ['projectcalico.org/v3', 'GlobalNetworkPolicy'],
] as const;

export async function readClusterObjects(context: string, options?: Partial<GauntletOptions>, kube?: Kube): Promise<InputObject[]> {
  const k = kube ?? connect({ ...defaultOptions(undefined, options), context });
  const out: InputObject[] = [];
  const take = (apiVersion: string, kind: string, items: KubernetesObject[]) => {
    for (const item of items) out.push({ value: { ...item, apiVersion, kind } as unknown as Record<string, unknown>, base: [] });
  };
  for (const [apiVersion, kind] of CORE) take(apiVersion, kind, (await k.list({ apiVersion, kind })).items);
  for (const [apiVersion, kind] of OPTIONAL) {
    try {
      take(apiVersion, kind, (await k.list({ apiVersion, kind })).items);
    } catch {
      // The API is not installed: nothing of that kind can exist.
    }
  }
  return out;
}
