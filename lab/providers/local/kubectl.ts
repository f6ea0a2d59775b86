/** kubectl against the lab with its admin kubeconfig: the lab's own door to the API while it boots. */
import { join } from 'node:path';
import type { LabPaths } from '../../config.ts';
import { run } from './sh.ts';

export function kubectl(p: LabPaths, args: string[], input?: string): Promise<string> {
  return run(join(p.bin, 'kubectl'), [`--kubeconfig=${p.kubeconfig}`, '--request-timeout=10s', ...args], input);
}

export async function kubectlJson<T>(p: LabPaths, args: string[]): Promise<T> {
  return JSON.parse(await kubectl(p, [...args, '-o', 'json'])) as T;
}

export interface NodeInfo {
  name: string;
  ready: boolean;
  podCidr?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

interface NodeList {
  items: {
    metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    spec: { podCIDR?: string };
    status?: { conditions?: { type: string; status: string }[] };
  }[];
}

export async function nodes(p: LabPaths): Promise<NodeInfo[]> {
  const list = await kubectlJson<NodeList>(p, ['get', 'nodes']);
  return list.items.map((n) => ({
    name: n.metadata.name,
    ready: n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    podCidr: n.spec.podCIDR,
    labels: n.metadata.labels ?? {},
    annotations: n.metadata.annotations ?? {},
  }));
}

export async function apiReady(p: LabPaths): Promise<boolean> {
  return (await kubectl(p, ['get', '--raw', '/readyz'])).trim() === 'ok';
}
