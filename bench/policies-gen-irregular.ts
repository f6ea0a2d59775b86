/**
 * An irregular synthetic cluster, as real ones are (issue #14): many small workloads (bare pods and
 * one-replica Deployments), labels over several keys, random label selectors (matchLabels and
 * matchExpressions), random /16 ipBlocks with a /24 except in about a third of them, 1-3 peers per
 * rule, 0-3 egress rules per policy. Seeded: the same arguments give the same cluster.
 */
import { rng } from '../core/random.ts';

export interface IrregularOptions {
  pods: number;
  policies: number;
  rules: number;
  namespaces?: number;
  seed?: number;
  /** Also ipBlocks over the pod network (10.244.0.0/15 and wider), which match pod IPs upstream. */
  podBlocks?: boolean;
  /** Pods without status.podIP: every destination is a template whose address is unknown. */
  noPodIps?: boolean;
}


const KEYS: Record<string, number> = { app: 400, tier: 4, team: 12, version: 6, zone: 3, role: 8, track: 3, owner: 30 };
const PORTS = [
  { name: 'http', containerPort: 8080 }, { name: 'grpc', containerPort: 9090 }, { name: 'metrics', containerPort: 9100 },
  { name: 'pg', containerPort: 5432 }, { name: 'redis', containerPort: 6379 }, { name: 'dns', containerPort: 53, protocol: 'UDP' },
];

export function generateIrregular(o: IrregularOptions): { cluster: unknown; allowlist: unknown } {
  const r = rng(o.seed ?? 14);
  const int = (n: number) => Math.floor(r() * n);
  const pickOne = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const keys = Object.keys(KEYS);
  const value = (k: string) => `${k}-${int(KEYS[k] as number)}`;
  const nsCount = o.namespaces ?? 50;
  const items: unknown[] = [];
  for (let n = 0; n < nsCount; n++) {
    items.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns-${n}`, labels: { team: `team-${n % 12}`, env: pickOne(['prod', 'dev', 'staging']), region: `r${n % 4}` } } });
  }
  for (let p = 0; p < o.pods; p++) {
    const ns = `ns-${int(nsCount)}`;
    const labels: Record<string, string> = { app: value('app') };
    for (const k of keys.slice(1)) if (r() < 0.55) labels[k] = value(k);
    const ports = [pickOne(PORTS), ...(r() < 0.4 ? [pickOne(PORTS)] : [])].filter((x, i, a) => a.findIndex((y) => y.name === x.name) === i);
    const spec = { containers: [{ name: 'main', image: 'registry.local/app:1', ports }] };
    const status = o.noPodIps ? { phase: 'Pending' } : { phase: 'Running', podIP: `10.${244 + (p >> 16)}.${(p >> 8) & 255}.${p & 255}` };
    if (p % 2 === 0) {
      items.push({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `pod-${p}`, namespace: ns, labels }, spec, status });
    } else {
      // A one-replica Deployment: the Deployment, its ReplicaSet and its one live pod.
      const name = `app-${p}`;
      items.push({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns }, spec: { replicas: 1, template: { metadata: { labels }, spec } } });
      items.push({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: `${name}-5d8f`, namespace: ns, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: `d${p}`, controller: true }] }, spec: { template: { metadata: { labels }, spec } } });
      items.push({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `${name}-5d8f-x`, namespace: ns, labels: { ...labels, 'pod-template-hash': '5d8f' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-5d8f`, uid: `r${p}`, controller: true }] }, spec, status });
    }
  }
  const selector = (): Record<string, unknown> => {
    const s: Record<string, unknown> = {};
    const n = int(3);
    if (n === 0 && r() < 0.3) return {};
    const ml: Record<string, string> = {};
    for (let i = 0; i < n; i++) {
      const k = pickOne(keys);
      ml[k] = value(k);
    }
    if (Object.keys(ml).length) s.matchLabels = ml;
    if (r() < 0.5) {
      const k = pickOne(keys);
      const op = pickOne(['In', 'NotIn', 'Exists', 'DoesNotExist'] as const);
      s.matchExpressions = [op === 'In' || op === 'NotIn' ? { key: k, operator: op, values: [value(k), value(k)] } : { key: k, operator: op }];
    }
    return s;
  };
  const nsSelector = () => (r() < 0.3 ? {} : { matchLabels: pickOne([{ team: `team-${int(12)}` }, { env: pickOne(['prod', 'dev', 'staging']) }, { region: `r${int(4)}` }, { 'kubernetes.io/metadata.name': `ns-${int(nsCount)}` }]) });
  const ipBlock = () => {
    if (o.podBlocks && r() < 0.15) {
      return pickOne([
        { ipBlock: { cidr: '10.0.0.0/8', except: ['10.244.0.0/24'] } },
        { ipBlock: { cidr: '10.244.0.0/16' } },
        { ipBlock: { cidr: `10.244.${int(4)}.0/24` } },
        { ipBlock: { cidr: '0.0.0.0/0', except: ['10.244.0.0/16'] } },
      ]);
    }
    const cidr = `${1 + int(223)}.${int(256)}.0.0/16`;
    const except = r() < 0.34 ? [cidr.replace(/\.0\.0\/16$/, `.${int(256)}.0/24`)] : undefined;
    return { ipBlock: { cidr, ...(except ? { except } : {}) } };
  };
  const peer = () => {
    const k = int(4);
    return k === 0 ? { podSelector: selector() } : k === 1 ? { namespaceSelector: nsSelector(), podSelector: selector() } : k === 2 ? { namespaceSelector: nsSelector() } : ipBlock();
  };
  const ports = () => {
    const n = int(3);
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) {
      const k = int(3);
      out.push(k === 0 ? { port: pickOne([80, 443, 5432, 6379, 8080, 9090]), protocol: pickOne(['TCP', 'TCP', 'UDP']) } : k === 1 ? { port: 1000 + int(5000), endPort: 6000 + int(3000) } : { port: pickOne(PORTS).name });
    }
    return out.length ? { ports: out } : {};
  };
  const rule = () => ({ to: Array.from({ length: 1 + int(3) }, peer), ...ports() });
  for (let p = 0; p < o.policies; p++) {
    const egress = Array.from({ length: int(4) }, rule);
    items.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `np-${p}`, namespace: `ns-${int(nsCount)}` }, spec: { podSelector: selector(), policyTypes: ['Egress'], ...(egress.length ? { egress } : {}) } });
  }
  const rules: unknown[] = [];
  for (let i = 0; i < o.rules; i++) {
    const from = r() < 0.2 ? undefined : { ...(r() < 0.7 ? { namespaceSelector: nsSelector() } : {}), ...(r() < 0.5 ? { podSelector: selector() } : {}) };
    rules.push({ name: `rule-${i}`, ...(from && Object.keys(from).length ? { from } : {}), to: Array.from({ length: 1 + int(3) }, peer), ...ports() });
  }
  return {
    cluster: { apiVersion: 'v1', kind: 'List', items },
    allowlist: { apiVersion: 'gauntlet.dev/v1alpha1', kind: 'EgressAllowlist', metadata: { name: 'bench-irregular' }, spec: { rules } },
  };
}
