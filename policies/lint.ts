/**
 * Warnings about policies that are legal but probably not what their author meant.
 * Findings never change a verdict; they are reported beside it (and in SARIF).
 */
import type { ClusterModel, NamedPort, Origin, PortSpec } from './model.ts';
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
    const selected = (workloads.get(p.namespace) ?? []).filter((w) => matches(p.podSelector, w.pod.labels));
    if (!(pods.get(p.namespace) ?? []).some((d) => matches(p.podSelector, d.labels))) {
      out.push({ rule: 'policy-selects-nothing', message: `NetworkPolicy ${p.namespace}/${p.name} selects no pod in the input`, origin: p.origin });
    }
    if (!p.isolatesEgress || !selected.length) continue;
    // DNS: does anything that applies to these pods allow port 53 on both UDP and TCP, to any peer?
    const rules = (policies.get(p.namespace) ?? [])
      .filter((q) => q.isolatesEgress && selected.some((w) => matches(q.podSelector, w.pod.labels)))
      .flatMap((q) => q.rules);
    // A named port counts when some pod names port 53 that way, or when no pod in the input uses the name.
    const named = (s: PortSpec, protocol: Protocol) =>
      s.kind === 'named' && (!s.protocol || s.protocol === protocol) && (namedPorts.get(s.name)?.some((n) => n.protocol === protocol && n.port === 53) ?? true);
    const admits = (protocol: Protocol) =>
      rules.some((r) => r.ports === 'all' || has(portsOf(r.ports, ANY_DEST), protocol, 53) || r.ports.some((s) => named(s, protocol)));
    const missing = (['UDP', 'TCP'] as const).filter((proto) => !admits(proto));
    if (missing.length) {
      const what = missing.length === 2 ? 'DNS is not allowed' : `DNS is allowed over ${missing[0] === 'UDP' ? 'TCP' : 'UDP'} only (${missing[0]} 53 is blocked; resolvers fall back to TCP for large answers)`;
      out.push({ rule: 'dns-not-allowed', message: `NetworkPolicy ${p.namespace}/${p.name} isolates egress but ${what}`, origin: p.origin });
    }
  }
  for (const c of model.hostBitCidrs) {
    out.push({ rule: 'cidr-host-bits', message: `CIDR ${c.text} has host bits set; Kubernetes uses the masked network`, origin: c.origin });
  }
  return out;
}
