/**
 * The normalized world the analysis works on: what users wrote (NetworkPolicy, admin policies,
 * workloads, the allowlist) turned into peers, port specs and ordered rules with their origin.
 */
import type { SourceLocation } from '../core/errors.ts';
import type { Family, IpSet } from './ipset.ts';
import type { Protocol } from './ports.ts';
import type { LabelSelector, Labels } from './selectors.ts';

/** Whether an ipBlock also matches pod IPs: upstream e2e says yes, Cilium says no. */
export type IpBlockMode = 'upstream' | 'cilium';
export type IpBlockModeOption = IpBlockMode | 'unknown';

/** Where a rule came from: object, field path, and file:line when the input was a file. */
export interface Origin extends Partial<SourceLocation> {
  /** `NetworkPolicy shop/allow-dns` */
  object: string;
  /** `spec.egress[1]` */
  path: string;
}

export interface NamedPort {
  name: string;
  port: number;
  protocol: Protocol;
}

export interface Address {
  family: Family;
  value: bigint;
}

/** A pod as the analysis needs it: who it is, its labels, its ports and addresses. */
export interface PodShape {
  namespace: string;
  labels: Labels;
  namedPorts: NamedPort[];
  hostNetwork: boolean;
  /** Known IPs (live pods); empty for templates. */
  ips: Address[];
}

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export interface Workload {
  kind: WorkloadKind;
  namespace: string;
  name: string;
  pod: PodShape;
  origin: Origin;
}

/** A destination pod: a live pod, or a workload's template when no live pod is known. */
export interface DestinationPod extends PodShape {
  /** Pod name, or `<workload>` for a template. */
  name: string;
  /** `Deployment/web` when known. */
  workload?: string;
}

/**
 * One peer. Selector peers pick pods; `namespace` is a fixed namespace name (nil namespaceSelector
 * in a NetworkPolicy), a selector over namespaces, or the source's own namespace (allowlist).
 */
export type Peer =
  | { kind: 'pods'; namespace: { name: string } | { selector: LabelSelector } | 'source'; pods: LabelSelector; origin: Origin }
  /**
   * `matchesPods`: also matches pod IPs under every ipBlock mode (admin-tier `networks`); a
   * NetworkPolicy ipBlock follows the mode.
   */
  | { kind: 'ipBlock'; set: IpSet; text: string; origin: Origin; matchesPods?: boolean }
  /** A peer the analysis does not model (nodes, domainNames): makes affected verdicts inconclusive. */
  | { kind: 'unmodelled'; what: string; origin: Origin };

export type PortSpec =
  | { kind: 'range'; protocol: Protocol; lo: number; hi: number }
  /** Resolved against the destination pod's container ports; `protocol` undefined = any. */
  | { kind: 'named'; protocol?: Protocol; name: string };

export type RuleAction = 'Allow' | 'Deny' | 'Pass';

export interface EgressRule {
  /** `'all'` when `to` is empty or missing. */
  peers: Peer[] | 'all';
  /** `'all'` when `ports` is empty or missing. */
  ports: PortSpec[] | 'all';
  action: RuleAction;
  origin: Origin;
}

export interface NetworkPolicyInfo {
  namespace: string;
  name: string;
  podSelector: LabelSelector;
  /** policyTypes contains Egress (explicitly, or defaulted because egress rules exist). */
  isolatesEgress: boolean;
  rules: EgressRule[];
  origin: Origin;
}

/** AdminNetworkPolicy / BaselineAdminNetworkPolicy / ClusterNetworkPolicy, normalized. */
export interface AdminPolicyInfo {
  tier: 'admin' | 'baseline';
  kind: string;
  name: string;
  priority: number;
  subject: { namespaces: LabelSelector; pods: LabelSelector };
  rules: EgressRule[];
  origin: Origin;
}

/** A policy object the analysis cannot read (Cilium, Calico, ...): affected workloads are inconclusive. */
export interface UnanalysedPolicy {
  kind: string;
  namespace?: string;
  name: string;
  origin: Origin;
}

export interface NamespaceInfo {
  name: string;
  labels: Labels;
}

/** Everything read from manifests or a cluster. */
export interface ClusterModel {
  namespaces: Map<string, NamespaceInfo>;
  workloads: Workload[];
  destinations: DestinationPod[];
  networkPolicies: NetworkPolicyInfo[];
  adminPolicies: AdminPolicyInfo[];
  unanalysed: UnanalysedPolicy[];
  /** Non-fatal remarks from loading (skipped objects...). */
  notes: string[];
  /** CIDRs written with host bits set (Kubernetes masks them), for the linter. */
  hostBitCidrs: { text: string; origin: Origin }[];
}

export interface AllowlistRule {
  name: string;
  from: { namespaces?: LabelSelector; pods?: LabelSelector };
  peers: Peer[] | 'all';
  ports: PortSpec[] | 'all';
  origin: Origin;
}

export interface ProbeTarget {
  name: string;
  address: string;
  protocol: 'TCP' | 'UDP' | 'HTTP';
  port: number;
  origin: Origin;
}

export interface EgressAllowlist {
  name: string;
  rules: AllowlistRule[];
  /** Extra destinations the live probe tries besides the counterexamples. */
  probeTargets: ProbeTarget[];
  file?: string;
}

/** Where an origin is: `file:line`, the file, or `cluster` for objects read from a live cluster. */
export function originPlace(o: Origin): string {
  return o.file ? (o.line ? `${o.file}:${o.line}` : o.file) : 'cluster';
}

const settled = new WeakMap<Origin, Origin>();

/**
 * An origin as plain data, for a report. An origin read from a file finds its line only when it is
 * read (getters: normalize.ts `ObjectContext.origin`), which leaves the object in V8's slow
 * dictionary mode; an origin many counterexamples cite is copied once into a plain object, which
 * JSON.stringify writes in about two thirds of the time. Same keys, same order, same values.
 */
export function settledOrigin(o: Origin): Origin {
  let hit = settled.get(o);
  if (!hit) {
    const copy: Record<string, unknown> = {};
    for (const k of Object.keys(o)) copy[k] = (o as unknown as Record<string, unknown>)[k];
    settled.set(o, (hit = copy as unknown as Origin));
  }
  return hit;
}

export function formatOrigin(o: Origin): string {
  return `${o.object} ${o.path} (${originPlace(o)})`;
}
