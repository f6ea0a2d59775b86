/**
 * What a probe run will do, decided before anything is created: one probe pod per workload in the
 * named namespaces, the checks it runs and what the analysis expects of each, and who else sees the
 * probe pods. Probe pods wear the workload's labels, so a PodDisruptionBudget selecting those labels
 * counts them (and, owned by a ConfigMap, they can stall its accounting while they run) and a
 * Service with publishNotReadyAddresses sends them traffic: the plan names both.
 */
import type { Analysis } from './analyze.ts';
import { parseIp } from './ipset.ts';
import type { Address, ClusterModel, EgressAllowlist, Workload } from './model.ts';
import { PROBE_RUN_LABEL, type ProbeCheck, type ProbeKind } from './probe-pods.ts';
import { matches, type LabelSelector } from './selectors.ts';

export type Expectation = 'allowed' | 'blocked' | 'depends-on-mode';
/**
 * `refused`: the packet reached something that said no (no listener, or an enforcer that rejects and
 * answers in the destination's name). `blocked` includes a rejection the probe saw come from another
 * address than the destination (an enforcer on the path that rejects, such as kube-router).
 */
export type Observation = 'reachable' | 'blocked' | 'refused' | 'no-result';

export interface ProbeRow {
  workload: string;
  target: string;
  destination: string;
  kind: ProbeKind;
  port: number;
  expected: Expectation;
  approved: boolean;
  observed: Observation;
  detail: string;
  mismatch: boolean;
  /** Why the row says what it says, in the user's words (set once observed). */
  why: string;
}

/** Which namespaces are probed: named ones, or every namespace not starting with `kube-`. */
export type ProbeScope = string[] | 'all';

export interface ProbePodPlan {
  workload: string;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  checks: ProbeCheck[];
  /** `PodDisruptionBudget ns/name` selecting the probe pod. */
  disruptionBudgets: string[];
  /** `Service ns/name` with publishNotReadyAddresses selecting the probe pod. */
  notReadyServices: string[];
}

export interface ProbePlan {
  run: string;
  image: string;
  scope: ProbeScope;
  /** Upper bound on each probe pod's life (activeDeadlineSeconds). */
  lifetimeSeconds: number;
  pods: ProbePodPlan[];
  rows: ProbeRow[];
  /** Workloads not probed, with why. */
  skipped: string[];
  /** What could not be determined (e.g. PDBs not readable). */
  notes: string[];
}

/** The few fields of PodDisruptionBudgets and Services the plan needs. */
export interface Exposure {
  disruptionBudgets: { namespace: string; name: string; selector?: LabelSelector | null }[];
  services: { namespace: string; name: string; selector?: Record<string, string> | null; publishNotReadyAddresses?: boolean }[];
  notes: string[];
}

export function inScope(scope: ProbeScope, ns: string): boolean {
  return scope === 'all' ? !ns.startsWith('kube-') : scope.includes(ns);
}

interface Target {
  destination: string;
  address: string;
  kind: ProbeKind;
  port: number;
}

export function planProbe(i: {
  run: string; image: string; scope: ProbeScope; lifetimeSeconds: number; maxPairs: number;
  model: ClusterModel; allowlist: EgressAllowlist; analysis: Analysis; exposure: Exposure;
}): ProbePlan {
  const skipped: string[] = [];
  const sources = i.model.workloads.filter((w) => inScope(i.scope, w.namespace)).filter((w) => {
    if (w.pod.hostNetwork) skipped.push(`${w.namespace}/${w.kind}/${w.name}: hostNetwork (a probe pod cannot stand in for it)`);
    return !w.pod.hostNetwork;
  });
  const targets: Target[] = [];
  for (const d of i.model.destinations) {
    const ip = d.ips[0];
    const port = d.namedPorts[0] ?? undefined;
    if (!ip || d.hostNetwork || !inScope(i.scope, d.namespace) || !port || port.protocol === 'SCTP') continue;
    const kind: ProbeKind = port.protocol === 'UDP' ? 'udp' : /http/.test(port.name) || port.port === 80 || port.port === 8080 ? 'http' : 'tcp';
    targets.push({ destination: `pod ${d.namespace}/${d.name}`, address: ipText(ip), kind, port: port.port });
  }
  for (const t of i.allowlist.probeTargets) {
    targets.push({ destination: t.name, address: t.address, kind: t.protocol === 'HTTP' ? 'http' : t.protocol === 'UDP' ? 'udp' : 'tcp', port: t.port });
  }

  const rows: ProbeRow[] = [];
  const pods: ProbePodPlan[] = [];
  let id = 0;
  for (const [n, w] of sources.entries()) {
    const checks: ProbeCheck[] = [];
    for (const t of targets) {
      if (rows.length >= i.maxPairs) break;
      const addr = parseIp(t.address);
      if (!addr) continue;
      const q = i.analysis.query(w, addr, t.kind === 'udp' ? 'UDP' : 'TCP', t.port);
      const allowed = new Set(q.map((x) => x.allowed));
      const expected: Expectation = allowed.size > 1 ? 'depends-on-mode' : q[0]?.allowed ? 'allowed' : 'blocked';
      const host = t.address.includes(':') ? `[${t.address}]` : t.address;
      const target = t.kind === 'http' ? `http://${host}:${t.port}/` : `${host}:${t.port}`;
      checks.push({ id: ++id, kind: t.kind, target });
      rows.push({ workload: workloadName(w), target, destination: t.destination, kind: t.kind, port: t.port, expected, approved: q.every((x) => x.approved), observed: 'no-result', detail: '', mismatch: false, why: 'not probed yet' });
    }
    if (!checks.length) continue;
    const labels = { ...w.pod.labels, [PROBE_RUN_LABEL]: i.run };
    pods.push({
      workload: workloadName(w), namespace: w.namespace, name: `gauntlet-probe-${i.run}-${n}`, labels, checks,
      disruptionBudgets: i.exposure.disruptionBudgets
        .filter((b) => b.namespace === w.namespace && b.selector && matches(b.selector, labels))
        .map((b) => `PodDisruptionBudget ${b.namespace}/${b.name}`),
      notReadyServices: i.exposure.services
        .filter((s) => s.namespace === w.namespace && s.publishNotReadyAddresses && s.selector && Object.keys(s.selector).length && matches({ matchLabels: s.selector }, labels))
        .map((s) => `Service ${s.namespace}/${s.name}`),
    });
  }
  return { run: i.run, image: i.image, scope: i.scope, lifetimeSeconds: i.lifetimeSeconds, pods, rows, skipped, notes: i.exposure.notes };
}

function workloadName(w: Workload): string {
  return `${w.namespace}/${w.kind}/${w.name}`;
}

function ipText(a: Address): string {
  if (a.family === 4) return [24n, 16n, 8n, 0n].map((s) => String((a.value >> s) & 255n)).join('.');
  return Array.from({ length: 8 }, (_, i) => ((a.value >> BigInt((7 - i) * 16)) & 0xffffn).toString(16)).join(':');
}

/** The plan as `policies probe --dry-run` prints it. */
export function renderPlan(p: ProbePlan): string {
  const scope = p.scope === 'all' ? 'every namespace not starting with kube-' : p.scope.join(', ');
  const lines = [
    `probe plan ${p.run}: ${p.pods.length} probe pod(s) in ${scope}, ${p.rows.length} check(s)`,
    `image ${p.image}; Pod Security "restricted"; each probe pod lives at most ${p.lifetimeSeconds}s and is removed as soon as it has reported`,
    '',
  ];
  for (const pod of p.pods) {
    lines.push(`${pod.workload}: probe pod ${pod.namespace}/${pod.name}, ${pod.checks.length} check(s)`);
    for (const b of pod.disruptionBudgets) lines.push(`  selected by ${b}: it counts the probe pod while it runs (evictions it guards may be held up for up to ${p.lifetimeSeconds}s)`);
    for (const s of pod.notReadyServices) lines.push(`  selected by ${s} (publishNotReadyAddresses): its clients may be sent to the probe pod, which does not answer`);
  }
  if (!p.pods.some((x) => x.disruptionBudgets.length || x.notReadyServices.length)) lines.push('no PodDisruptionBudget and no Service with publishNotReadyAddresses selects a probe pod');
  for (const n of p.notes) lines.push(`note: ${n}`);
  for (const s of p.skipped) lines.push(`not probed: ${s}`);
  return lines.join('\n') + '\n';
}
