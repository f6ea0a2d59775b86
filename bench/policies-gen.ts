/**
 * A synthetic cluster for the policy analysis benchmark: namespaces, Deployments with live Pods
 * (IPs, named ports), NetworkPolicies of the shapes real clusters use, and an EgressAllowlist.
 * Deterministic: the same arguments give the same files.
 *
 *   node bench/policies-gen.ts OUT_DIR [pods=5000] [policies=2000] [rules=200] [shape=regular|irregular|replicas1] [yaml] [seed]
 *
 * `irregular`: bench/policies-gen-irregular.ts (random selectors and CIDRs, bare pods, one-replica
 * workloads); `irregular-pod-blocks` adds ipBlocks over the pod network, `irregular-no-ips` has no
 * pod IPs (every destination a template); `seed` (irregular shapes) picks another random cluster.
 * `replicas1`: this file's shapes with one replica per Deployment. `yaml` also writes cluster.yaml
 * (the same objects, multi-document YAML).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { generateIrregular } from './policies-gen-irregular.ts';

export interface GenOptions {
  pods: number;
  policies: number;
  rules: number;
  namespaces?: number;
  replicas?: number;
}

export function generate(o: GenOptions): { cluster: unknown; allowlist: unknown } {
  const nsCount = o.namespaces ?? 50;
  const replicas = o.replicas ?? 10;
  const apps = Math.ceil(o.pods / replicas);
  const items: unknown[] = [];
  for (let n = 0; n < nsCount; n++) {
    items.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns-${n}`, labels: { team: `team-${n % 10}`, env: n % 2 ? 'prod' : 'dev' } } });
  }
  let podIndex = 0;
  for (let a = 0; a < apps; a++) {
    const ns = `ns-${a % nsCount}`;
    const labels = { app: `app-${a}`, tier: ['front', 'back', 'data'][a % 3] as string };
    const ports = [{ name: 'http', containerPort: 8080 + (a % 5) }, { name: 'metrics', containerPort: 9100 }];
    const template = { metadata: { labels }, spec: { containers: [{ name: 'main', image: 'registry.local/app:1', ports }] } };
    items.push({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `app-${a}`, namespace: ns }, spec: { replicas, template } });
    const rs = `app-${a}-7c9d`;
    items.push({
      apiVersion: 'apps/v1', kind: 'ReplicaSet',
      metadata: { name: rs, namespace: ns, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: `app-${a}`, uid: `d${a}`, controller: true }] },
      spec: { template },
    });
    for (let r = 0; r < replicas && podIndex < o.pods; r++, podIndex++) {
      items.push({
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name: `${rs}-${r}`, namespace: ns, labels: { ...labels, 'pod-template-hash': '7c9d' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs, uid: `r${a}`, controller: true }] },
        spec: template.spec,
        status: { phase: 'Running', podIP: `10.244.${podIndex >> 8}.${podIndex & 255}` },
      });
    }
  }
  for (let p = 0; p < o.policies; p++) {
    const n = p % nsCount;
    const ns = `ns-${n}`;
    const a = (p * 7) % apps;
    const shape = p % 5;
    const spec =
      shape === 0 ? { podSelector: {}, policyTypes: ['Egress'] }
      : shape === 1 ? { podSelector: { matchLabels: { tier: 'front' } }, egress: [{ to: [{ podSelector: { matchLabels: { tier: 'back' } } }], ports: [{ port: 'http' }] }] }
      : shape === 2 ? { podSelector: { matchLabels: { app: `app-${a}` } }, egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '192.168.0.0/16'] } }], ports: [{ port: 443 }] }] }
      : shape === 3 ? { podSelector: {}, egress: [{ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }] }
      : { podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['back', 'data'] }] }, egress: [{ to: [{ namespaceSelector: { matchLabels: { team: `team-${(n + 1) % 10}` } }, podSelector: { matchLabels: { tier: 'data' } } }], ports: [{ port: 5432 + (p % 3), endPort: 5440 }] }] };
    items.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `np-${p}`, namespace: ns }, spec });
  }
  const rules: unknown[] = [];
  for (let r = 0; r < o.rules; r++) {
    const n = r % nsCount;
    const from = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': `ns-${n}` } } };
    const kind = Math.floor(r / nsCount) % 4;
    rules.push(
      kind === 0 ? { name: `dns-${r}`, from, to: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }
      : kind === 1 ? { name: `same-ns-${r}`, from, to: [{ podSelector: {} }], ports: [{ port: 8080, endPort: 8084 }] }
      : kind === 2 ? { name: `internet-${r}`, from, to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] } }], ports: [{ port: 443 }] }
      : { name: `data-${r}`, from: { ...from, podSelector: { matchLabels: { tier: 'back' } } }, to: [{ namespaceSelector: {}, podSelector: { matchLabels: { tier: 'data' } } }], ports: [{ port: 5432, endPort: 5440 }] },
    );
  }
  return {
    cluster: { apiVersion: 'v1', kind: 'List', items },
    allowlist: { apiVersion: 'gauntlet.dev/v1alpha1', kind: 'EgressAllowlist', metadata: { name: 'bench' }, spec: { rules } },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [out = 'bench/.policies', pods = '5000', policies = '2000', rules = '200', shape = 'regular', yaml = '', seed = ''] = process.argv.slice(2);
  const n = { pods: Number(pods), policies: Number(policies), rules: Number(rules) };
  const irregular = { ...n, seed: seed ? Number(seed) : undefined, podBlocks: shape === 'irregular-pod-blocks', noPodIps: shape === 'irregular-no-ips' };
  const g = shape.startsWith('irregular') ? generateIrregular(irregular) : generate({ ...n, replicas: shape === 'replicas1' ? 1 : undefined });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'cluster.json'), JSON.stringify(g.cluster, null, 1));
  writeFileSync(join(out, 'allowlist.json'), JSON.stringify(g.allowlist, null, 1));
  if (yaml) writeFileSync(join(out, 'cluster.yaml'), (g.cluster as { items: unknown[] }).items.map((o) => stringify(o)).join('---\n'));
  console.log(`wrote ${join(out, 'cluster.json')} and ${join(out, 'allowlist.json')}${yaml ? ` and ${join(out, 'cluster.yaml')}` : ''} (${shape})`);
}
