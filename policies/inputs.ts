/**
 * Kubernetes objects in, ClusterModel out: namespaces, workloads, destination pods, policies.
 * Policy objects are validated strictly (exit 2 with file:line); workloads only for what we read.
 */
import { InputError, type InputIssue } from '../core/errors.ts';
import type { PathSegment } from '../core/source.ts';
import { parseIp } from './ipset.ts';
import type {
  AdminPolicyInfo, Address, ClusterModel, DestinationPod, EgressRule, NamedPort, NetworkPolicyInfo, Origin, PodShape, Workload, WorkloadKind,
} from './model.ts';
import { originPlace } from './model.ts';
import { adminPeers, anpPort, cnpProtocols, npPeer, npPort, ObjectContext, selector } from './normalize.ts';
import type { Protocol } from './ports.ts';
import { anpSpecSchema, banpSpecSchema, cnpSpecSchema, npSpecSchema, zodIssues, type AnpSpec, type CnpSpec } from './schemas.ts';
import type { z } from 'zod';
import type { InputObject } from './sources.ts';

/** API groups whose policy objects we do not analyse: their presence makes verdicts inconclusive. */
const UNANALYSED_GROUPS = ['cilium.io', 'projectcalico.org', 'crd.projectcalico.org', 'crd.antrea.io', 'security.antrea.io', 'networking.gke.io'];
const TEMPLATE_KINDS: Record<string, WorkloadKind> = {
  Deployment: 'Deployment', StatefulSet: 'StatefulSet', DaemonSet: 'DaemonSet', ReplicaSet: 'ReplicaSet', Job: 'Job', CronJob: 'CronJob',
};

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function stringRecord(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(asObj(v))) if (typeof x === 'string') out[k] = x;
  return out;
}

export function buildModel(objects: readonly InputObject[]): ClusterModel {
  const issues: InputIssue[] = [];
  const model: ClusterModel = {
    namespaces: new Map(), workloads: [], destinations: [], networkPolicies: [], adminPolicies: [], unanalysed: [], notes: [], hostBitCidrs: [],
  };
  const livePods: { pod: DestinationPod; owner?: string }[] = [];
  const ownedBy = new Map<string, string>(); // `ns/Kind/name` of a ReplicaSet/Job -> its owner key
  /** Kinds the analysis does not read: how many, and where the first one is (file:line). */
  const ignored = new Map<string, { n: number; first: Origin }>();

  for (const obj of objects) {
    const v = obj.value;
    const kind = str(v.kind) ?? '';
    const apiVersion = str(v.apiVersion) ?? '';
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0] as string : '';
    const meta = asObj(v.metadata);
    const name = str(meta.name);
    const namespace = str(meta.namespace) ?? 'default';
    const label = `${kind} ${meta.namespace ? `${namespace}/` : ''}${name ?? '?'}`;
    const ctx = new ObjectContext(obj, label, issues);
    const known = kind === 'Namespace' || kind === 'Pod' || kind in TEMPLATE_KINDS || kind.endsWith('NetworkPolicy');
    if (known && !name) {
      ctx.issue(['metadata', 'name'], 'missing metadata.name');
      continue;
    }
    if (kind === 'Namespace' && apiVersion === 'v1') {
      model.namespaces.set(name as string, { name: name as string, labels: { ...stringRecord(meta.labels), 'kubernetes.io/metadata.name': name as string } });
    } else if (kind === 'NetworkPolicy' && group === 'networking.k8s.io') {
      const spec = validate(ctx, npSpecSchema, v.spec, ['spec']);
      if (spec) model.networkPolicies.push(networkPolicy(ctx, spec, namespace, name as string));
    } else if (group === 'policy.networking.k8s.io' && ['AdminNetworkPolicy', 'BaselineAdminNetworkPolicy', 'ClusterNetworkPolicy'].includes(kind)) {
      const p = adminPolicy(ctx, kind, apiVersion, name as string, v.spec);
      if (p) model.adminPolicies.push(p);
      else if (!ctx.issues.length) model.unanalysed.push({ kind: `${kind} (${apiVersion})`, name: name as string, origin: ctx.origin([]) });
    } else if (UNANALYSED_GROUPS.includes(group) || (kind.endsWith('NetworkPolicy') && group !== 'networking.k8s.io')) {
      model.unanalysed.push({ kind, namespace: meta.namespace ? namespace : undefined, name: name ?? '?', origin: ctx.origin([]) });
    } else if (kind === 'Pod' && apiVersion === 'v1') {
      const spec = asObj(v.spec);
      const pod = podShape(ctx, namespace, stringRecord(meta.labels), spec, asObj(v.status), ['spec']);
      const owner = asArr(meta.ownerReferences).map(asObj).find((o) => o.controller === true) ?? asArr(meta.ownerReferences).map(asObj)[0];
      const phase = str(asObj(v.status).phase);
      if (phase !== 'Succeeded' && phase !== 'Failed') {
        livePods.push({ pod: { ...pod, name: name as string }, owner: owner ? `${namespace}/${str(owner.kind)}/${str(owner.name)}` : undefined });
      }
      if (!owner) model.workloads.push({ kind: 'Pod', namespace, name: name as string, pod, origin: ctx.origin([]) });
    } else if (kind in TEMPLATE_KINDS && group !== '') {
      const owner = asArr(meta.ownerReferences).map(asObj)[0];
      if (owner) ownedBy.set(`${namespace}/${kind}/${name}`, `${namespace}/${str(owner.kind)}/${str(owner.name)}`);
      const tplPath: PathSegment[] = kind === 'CronJob' ? ['spec', 'jobTemplate', 'spec', 'template'] : ['spec', 'template'];
      let tpl: unknown = v;
      for (const seg of tplPath) tpl = asObj(tpl)[seg as string];
      const t = asObj(tpl);
      const pod = podShape(ctx, namespace, stringRecord(asObj(t.metadata).labels), asObj(t.spec), {}, [...tplPath, 'spec']);
      // A ReplicaSet owned by a Deployment, a Job owned by a CronJob: the owner is the workload.
      if (!owner) model.workloads.push({ kind: TEMPLATE_KINDS[kind] as WorkloadKind, namespace, name: name as string, pod, origin: ctx.origin([]) });
    } else {
      const key = kind || '(no kind)';
      const hit = ignored.get(key);
      if (hit) hit.n++;
      else ignored.set(key, { n: 1, first: ctx.origin([]) });
    }
    model.hostBitCidrs.push(...ctx.hostBitCidrs);
  }
  if (issues.length) throw new InputError(issues);

  // Live pods are destinations; a workload with none contributes its template (IP unknown).
  const withPods = new Set<string>();
  for (const lp of livePods) {
    model.destinations.push(lp.pod);
    for (let k = lp.owner, n = 0; k && n < 4; k = ownedBy.get(k), n++) withPods.add(k);
  }
  for (const w of model.workloads) {
    if (w.kind === 'Pod' || withPods.has(`${w.namespace}/${w.kind}/${w.name}`)) continue;
    model.destinations.push({ ...w.pod, name: `<${w.kind}/${w.name}>`, workload: `${w.kind}/${w.name}` });
  }
  for (const ns of new Set([...model.workloads.map((w) => w.namespace), ...model.destinations.map((d) => d.namespace), ...model.networkPolicies.map((p) => p.namespace)])) {
    if (!model.namespaces.has(ns)) model.namespaces.set(ns, { name: ns, labels: { 'kubernetes.io/metadata.name': ns } });
  }
  if (ignored.size) {
    const at = (o: Origin) => (o.file ? `, first at ${originPlace(o)}` : '');
    model.notes.push(`ignored objects: ${[...ignored].map(([k, { n, first }]) => `${k} x${n}${at(first)}`).join(', ')}`);
  }
  return model;
}

function validate<T>(ctx: ObjectContext, schema: z.ZodType<T>, value: unknown, path: PathSegment[]): T | undefined {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  for (const i of zodIssues(r.error)) ctx.issue([...path, ...i.path], i.message);
  return undefined;
}

function podShape(ctx: ObjectContext, namespace: string, labels: Record<string, string>, spec: Obj, status: Obj, path: PathSegment[]): PodShape {
  const namedPorts: NamedPort[] = [];
  for (const list of [spec.containers, spec.initContainers]) {
    for (const c of asArr(list)) {
      for (const x of asArr(asObj(c).ports)) {
        const p = asObj(x);
        const name = str(p.name);
        if (name && typeof p.containerPort === 'number') namedPorts.push({ name, port: p.containerPort, protocol: (str(p.protocol) ?? 'TCP') as Protocol });
      }
    }
  }
  const ips: Address[] = [];
  // status.podIPs, then status.podIP, each distinct text once (podIP is podIPs[0] when both are set).
  const texts = new Set<string>();
  for (const x of asArr(status.podIPs)) {
    const t = str(asObj(x).ip);
    if (t) texts.add(t);
  }
  const primary = str(status.podIP);
  if (primary) texts.add(primary);
  for (const t of texts) {
    const ip = parseIp(t);
    if (ip) ips.push(ip);
    else ctx.issue(['status', 'podIP'], `invalid IP "${t}"`);
  }
  void path;
  return { namespace, labels, namedPorts, hostNetwork: spec.hostNetwork === true, ips };
}

function networkPolicy(ctx: ObjectContext, spec: z.infer<typeof npSpecSchema>, namespace: string, name: string): NetworkPolicyInfo {
  const egress = spec.egress ?? [];
  // policyTypes defaulting: Egress only when egress rules are present.
  const isolatesEgress = spec.policyTypes ? spec.policyTypes.includes('Egress') : egress.length > 0;
  const rules: EgressRule[] = [];
  egress.forEach((r, i) => {
    const path: PathSegment[] = ['spec', 'egress', i];
    const to = r.to ?? [];
    const peers = to.length ? to.map((p, j) => npPeer(ctx, p, [...path, 'to', j], namespace)).filter((p) => !!p) : 'all';
    const ports = r.ports?.length ? r.ports.map(npPort) : 'all';
    rules.push({ peers, ports, action: 'Allow', origin: ctx.origin(path) });
  });
  return { namespace, name, podSelector: selector(spec.podSelector), isolatesEgress, rules, origin: ctx.origin([]) };
}

function adminPolicy(ctx: ObjectContext, kind: string, apiVersion: string, name: string, rawSpec: unknown): AdminPolicyInfo | undefined {
  let spec: (AnpSpec | CnpSpec | z.infer<typeof banpSpecSchema>) | undefined;
  let tier: 'admin' | 'baseline';
  let priority = 0;
  if (kind === 'ClusterNetworkPolicy' && apiVersion.endsWith('/v1alpha2')) {
    const s = validate(ctx, cnpSpecSchema, rawSpec, ['spec']);
    if (!s) return undefined;
    spec = s;
    tier = s.tier === 'Admin' ? 'admin' : 'baseline';
    priority = s.priority;
  } else if (kind === 'AdminNetworkPolicy' && apiVersion.endsWith('/v1alpha1')) {
    const s = validate(ctx, anpSpecSchema, rawSpec, ['spec']);
    if (!s) return undefined;
    spec = s;
    tier = 'admin';
    priority = s.priority;
  } else if (kind === 'BaselineAdminNetworkPolicy' && apiVersion.endsWith('/v1alpha1')) {
    // BaselineAdminNetworkPolicy CEL rule: a singleton, self.metadata.name == 'default'.
    if (name !== 'default') {
      ctx.issue(['metadata', 'name'], 'only one BaselineAdminNetworkPolicy, with metadata.name "default", can exist');
      return undefined;
    }
    const s = validate(ctx, banpSpecSchema, rawSpec, ['spec']);
    if (!s) return undefined;
    spec = s;
    tier = 'baseline';
  } else return undefined;
  const subject = spec.subject.namespaces
    ? { namespaces: selector(spec.subject.namespaces), pods: {} }
    : { namespaces: selector(spec.subject.pods?.namespaceSelector), pods: selector(spec.subject.pods?.podSelector) };
  const rules: EgressRule[] = (spec.egress ?? []).map((r, i) => {
    const path: PathSegment[] = ['spec', 'egress', i];
    const peers = r.to.flatMap((p, j) => adminPeers(ctx, p, [...path, 'to', j]));
    // v1alpha1 rules have `ports` (AdminNetworkPolicyPort), v1alpha2 rules `protocols` (ClusterNetworkPolicyProtocol).
    const ports = 'protocols' in r ? (r.protocols ?? []).flatMap(cnpProtocols) : ('ports' in r ? (r.ports ?? []) : []).map(anpPort);
    const action = r.action === 'Accept' ? 'Allow' : (r.action as 'Allow' | 'Deny' | 'Pass');
    const label = r.name ? `${path.join('.')}` : '';
    void label;
    return { peers, ports: ports.length ? ports : 'all', action, origin: ctx.origin(path) };
  });
  return { tier, kind, name, priority, subject, rules, origin: ctx.origin([]) };
}
