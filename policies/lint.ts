/**
 * Warnings about policies that are legal but probably not what their author meant.
 * Findings never change a verdict; they are reported beside it (and in SARIF).
 */
import type { ClusterModel, EgressRule, NamedPort, NetworkPolicyInfo, Origin, PortSpec } from './model.ts';
import { settledOrigin } from './model.ts';
import { matches } from './selectors.ts';
import { has, type Protocol } from './ports.ts';
import { portsOf } from './engine.ts';

export interface LintFinding {
  rule: 'dns-not-allowed' | 'policy-selects-nothing' | 'cidr-host-bits';
  message: string;
  origin: Origin;
}

const ANY_DEST = { isPod: false, picked: new Set<never>(), namedPorts: [] } as const;

export function lint(model: ClusterModel): LintFinding[] {
  const out: LintFinding[] = [];
  const byNs = <T>(items: T[], ns: (t: T) => string) => {
    const m = new Map<string, T[]>();
    for (const t of items) {
      const list = m.get(ns(t));
      if (list) list.push(t);
      else m.set(ns(t), [t]);
    }
    return m;
  };
  const pods = byNs([...model.workloads.map((w) => w.pod), ...model.destinations], (p) => p.namespace);
  const workloads = byNs(model.workloads, (w) => w.namespace);
  const policies = byNs(model.networkPolicies, (p) => p.namespace);
  const namedPorts = new Map<string, NamedPort[]>();
  for (const d of [...model.workloads.map((w) => w.pod), ...model.destinations]) {
    for (const n of d.namedPorts) {
      const list = namedPorts.get(n.name) ?? [];
      if (!list.some((x) => x.port === n.port && x.protocol === n.protocol)) list.push(n);
      namedPorts.set(n.name, list);
    }
  }
  for (const p of model.networkPolicies) {
    if (!(pods.get(p.namespace) ?? []).some((d) => matches(p.podSelector, d.labels))) {
      out.push({ rule: 'policy-selects-nothing', message: `NetworkPolicy ${p.namespace}/${p.name} selects no pod in the input`, origin: settledOrigin(p.origin) });
    }
  }
  // DNS, per isolated workload: do the policies that select IT allow port 53 on UDP and TCP, to any
  // peer? (A policy allowing DNS to other pods of the namespace does not help this one.)
  // A named port counts when some pod names port 53 that way, or when no pod in the input uses the name.
  const named = (s: PortSpec, protocol: Protocol) =>
    s.kind === 'named' && (!s.protocol || s.protocol === protocol) && (namedPorts.get(s.name)?.some((n) => n.protocol === protocol && n.port === 53) ?? true);
  const admits = (rules: EgressRule[], protocol: Protocol) =>
    rules.some((r) => r.ports === 'all' || has(portsOf(r.ports, ANY_DEST), protocol, 53) || r.ports.some((s) => named(s, protocol)));
  // Workloads with the same selecting policies share one finding, reported at the first of them.
  const groups = new Map<string, { policies: NetworkPolicyInfo[]; missing: Protocol[]; workloads: string[] }>();
  for (const [ns, list] of workloads) {
    const nsPolicies = (policies.get(ns) ?? []).filter((q) => q.isolatesEgress);
    for (const w of list) {
      if (w.pod.hostNetwork) continue;
      const selecting = nsPolicies.filter((q) => matches(q.podSelector, w.pod.labels));
      if (!selecting.length) continue;
      const key = `${ns}\u0000${selecting.map((q) => q.name).join(',')}`;
      let g = groups.get(key);
      if (!g) {
        const rules = selecting.flatMap((q) => q.rules);
        groups.set(key, (g = { policies: selecting, missing: (['UDP', 'TCP'] as const).filter((proto) => !admits(rules, proto)), workloads: [] }));
      }
      if (!g.missing.length) continue;
      g.workloads.push(`${w.kind}/${w.name}`);
    }
  }
  for (const g of groups.values()) {
    if (!g.workloads.length) continue;
    const p = g.policies[0] as NetworkPolicyInfo;
    const what = g.missing.length === 2 ? 'DNS is not allowed' : `DNS is allowed over ${g.missing[0] === 'UDP' ? 'TCP' : 'UDP'} only (${g.missing[0]} 53 is blocked; resolvers fall back to TCP for large answers)`;
    const who = g.workloads.length > 3 ? `${g.workloads.slice(0, 3).join(', ')} and ${g.workloads.length - 3} more` : g.workloads.join(', ');
    const by = g.policies.length > 1 ? ` (selected by ${g.policies.map((q) => q.name).join(', ')})` : '';
    out.push({ rule: 'dns-not-allowed', message: `NetworkPolicy ${p.namespace}/${p.name} isolates egress of ${who} in ${p.namespace}${by}, and ${what}`, origin: settledOrigin(p.origin) });
  }
  for (const c of model.hostBitCidrs) {
    out.push({ rule: 'cidr-host-bits', message: `CIDR ${c.text} has host bits set; Kubernetes uses the masked network`, origin: settledOrigin(c.origin) });
  }
  return out;
}
