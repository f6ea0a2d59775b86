/**
 * The decision procedure for one source pod shape: which (destination, protocol, port) its egress
 * may reach under admin tiers, NetworkPolicy and baseline, and which the allowlist approves.
 *
 * A destination is described by which selector peers pick it, which ipBlocks contain its address,
 * and its named ports. Every decision is over whole port sets, so the result is exact, not sampled.
 */
import type { Family } from './ipset.ts';
import { ipSetHas } from './ipset.ts';
import type { AdminPolicyInfo, AllowlistRule, ClusterModel, EgressRule, IpBlockMode, NamedPort, NetworkPolicyInfo, Origin, Peer, PortSpec } from './model.ts';
import { settledOrigin } from './model.ts';
import { ALL_PORTS, has, intersect, isEmpty, NO_PORTS, portRange, subtract, union, type PortSet, type Protocol } from './ports.ts';
import { matches, type Labels } from './selectors.ts';

/** A source pod shape: every workload with the same namespace and labels behaves the same. */
export interface SourceShape {
  namespace: string;
  labels: Labels;
}

/** A destination as the rules see it. */
export interface DestView {
  isPod: boolean;
  /** Selector peers that pick this destination (only `has` is read). */
  picked: Pick<ReadonlySet<Peer>, 'has'>;
  /** The address (a cell representative); undefined for a pod whose IP does not matter. */
  address?: { family: Family; value: bigint };
  namedPorts: readonly NamedPort[];
}

export interface Decision {
  allowed: PortSet;
  approved: PortSet;
}

/** Why a (protocol, port) was allowed: the rules that let it through, or the default that did. */
export interface AllowedBy {
  origin?: Origin;
  action?: string;
  reason: string;
}

/** Everything that applies to one source shape, in evaluation order. */
export interface SourceRules {
  shape: SourceShape;
  admin: EgressRule[];
  adminPolicyOf: Map<EgressRule, AdminPolicyInfo>;
  /** Some NetworkPolicy with Egress in policyTypes selects the source. */
  isolated: boolean;
  networkPolicy: EgressRule[];
  baseline: EgressRule[];
  allowlist: AllowlistRule[];
  /** Every ipBlock peer in the rules above: the cuts of the address space that matter. */
  ipBlocks: Extract<Peer, { kind: 'ipBlock' }>[];
  /** Selector peers in the rules above. */
  selectorPeers: Extract<Peer, { kind: 'pods' }>[];
  unmodelled: Extract<Peer, { kind: 'unmodelled' }>[];
  usesNamedPorts: boolean;
}

/**
 * Shapes selected by the same rules share one SourceRules (its peer lists are what is costly to
 * derive): keyed by namespace and the identities of the selecting rules, per model and allowlist.
 */
const shared = new WeakMap<ClusterModel, WeakMap<readonly AllowlistRule[], { ids: Map<object, number>; byKey: Map<string, SourceRules>; nsRules: Map<string, AllowlistRule[]> }>>();

/**
 * `selected`: the admin policies, NetworkPolicies and allowlist rules selecting the shape, when the
 * caller already knows them (policies/shape-index.ts), with a key naming them.
 */
export function sourceRules(model: ClusterModel, allowlist: readonly AllowlistRule[], shape: SourceShape, npByNamespace: Map<string, ClusterModel['networkPolicies']>, selected?: { admin: AdminPolicyInfo[]; np: NetworkPolicyInfo[]; rules: AllowlistRule[]; key: string }): SourceRules {
  let perModel = shared.get(model);
  if (!perModel) shared.set(model, (perModel = new WeakMap()));
  let cache = perModel.get(allowlist);
  if (!cache) perModel.set(allowlist, (cache = { ids: new Map(), byKey: new Map(), nsRules: new Map() }));
  if (selected) {
    const key = `selected\u0000${shape.namespace}\u0000${selected.key}`;
    const hit = cache.byKey.get(key);
    if (hit) return { ...hit, shape };
    const out = deriveSourceRules(shape, selected.admin, selected.np, selected.rules);
    cache.byKey.set(key, out);
    return out;
  }
  const nsLabels = model.namespaces.get(shape.namespace)?.labels ?? { 'kubernetes.io/metadata.name': shape.namespace };
  const id = (o: object) => {
    let i = cache.ids.get(o);
    if (i === undefined) cache.ids.set(o, (i = cache.ids.size));
    return i;
  };
  let nsRules = cache.nsRules.get(shape.namespace);
  if (!nsRules) cache.nsRules.set(shape.namespace, (nsRules = allowlist.filter((r) => !r.from.namespaces || matches(r.from.namespaces, nsLabels))));
  const selectedAdmin = model.adminPolicies.filter((p) => matches(p.subject.namespaces, nsLabels) && matches(p.subject.pods, shape.labels));
  const selectingNp = (npByNamespace.get(shape.namespace) ?? []).filter((p) => p.isolatesEgress && matches(p.podSelector, shape.labels));
  const selectedRules = nsRules.filter((r) => !r.from.pods || matches(r.from.pods, shape.labels));
  const key = `${shape.namespace}\u0000${selectedAdmin.map(id).join(',')}\u0000${selectingNp.map(id).join(',')}\u0000${selectedRules.map(id).join(',')}`;
  const hit = cache.byKey.get(key);
  if (hit) return { ...hit, shape };
  const out = deriveSourceRules(shape, selectedAdmin, selectingNp, selectedRules);
  cache.byKey.set(key, out);
  return out;
}

/** The peers of a list of rules by kind, and whether it names ports: per list (lists of selected policies and rules are shared, see shape-index.ts). */
type ListPeers = Pick<SourceRules, 'ipBlocks' | 'selectorPeers' | 'unmodelled' | 'usesNamedPorts'>;
const peersOfList = new WeakMap<readonly object[], ListPeers>();
const rulesOfPolicies = new WeakMap<readonly NetworkPolicyInfo[], EgressRule[]>();

function listPeers(list: readonly (EgressRule | AllowlistRule)[]): ListPeers {
  let hit = peersOfList.get(list);
  if (hit) return hit;
  hit = { ipBlocks: [], selectorPeers: [], unmodelled: [], usesNamedPorts: false };
  for (const r of list) {
    if (r.peers !== 'all') {
      for (const p of r.peers) {
        if (p.kind === 'ipBlock') hit.ipBlocks.push(p);
        else if (p.kind === 'pods') hit.selectorPeers.push(p);
        else if (p.kind === 'unmodelled') hit.unmodelled.push(p);
      }
    }
    if (!hit.usesNamedPorts && r.ports !== 'all') for (const p of r.ports) if (p.kind === 'named') hit.usesNamedPorts = true;
  }
  peersOfList.set(list, hit);
  return hit;
}

function deriveSourceRules(shape: SourceShape, selectedAdmin: AdminPolicyInfo[], selecting: NetworkPolicyInfo[], rules: AllowlistRule[]): SourceRules {
  const adminPolicyOf = new Map<EgressRule, AdminPolicyInfo>();
  const tier = (t: 'admin' | 'baseline') =>
    selectedAdmin
      .filter((p) => p.tier === t)
      .sort((a, b) => a.priority - b.priority) // stable: equal priorities keep input order
      .flatMap((p) => p.rules.map((r) => (adminPolicyOf.set(r, p), r)));
  const admin = tier('admin');
  const baseline = tier('baseline');
  let networkPolicy = rulesOfPolicies.get(selecting);
  if (!networkPolicy) rulesOfPolicies.set(selecting, (networkPolicy = selecting.flatMap((p) => p.rules)));
  const parts = [admin, networkPolicy, baseline, rules].filter((l) => l.length).map(listPeers);
  // One list's peers are shared as they are (never mutated); several are concatenated in evaluation order.
  const cat = <K extends 'ipBlocks' | 'selectorPeers' | 'unmodelled'>(k: K): SourceRules[K] =>
    (parts.length === 1 ? parts[0]![k] : ([] as unknown[]).concat(...parts.map((p) => p[k]))) as SourceRules[K];
  return {
    shape, admin, adminPolicyOf, isolated: selecting.length > 0, networkPolicy, baseline, allowlist: rules,
    ipBlocks: cat('ipBlocks'), selectorPeers: cat('selectorPeers'), unmodelled: cat('unmodelled'), usesNamedPorts: parts.some((p) => p.usesNamedPorts),
  };
}

function peerPicks(p: Peer, d: DestView, mode: IpBlockMode): boolean {
  if (p.kind === 'pods') return d.picked.has(p);
  if (p.kind === 'ipBlock') {
    // Cilium: a NetworkPolicy ipBlock never selects a pod, whatever its address. Admin-tier
    // `networks` always do (upstream: cluster-internal traffic is checked against them too).
    if (!d.address || (d.isPod && mode === 'cilium' && !p.matchesPods)) return false;
    return ipSetHas(p.set, d.address.family, d.address.value);
  }
  return false; // unmodelled peers make the verdict inconclusive elsewhere
}

function rulePicks(r: { peers: Peer[] | 'all' }, d: DestView, mode: IpBlockMode): boolean {
  if (r.peers === 'all') return true;
  for (const p of r.peers) if (peerPicks(p, d, mode)) return true;
  return false;
}

export function portsOf(specs: PortSpec[] | 'all', d: DestView): PortSet {
  if (specs === 'all') return ALL_PORTS;
  let out = NO_PORTS;
  for (const s of specs) {
    if (s.kind === 'range') out = union(out, portRange(s.protocol, s.lo, s.hi));
    else if (d.isPod) {
      // A named port resolves against the destination pod's containers only; never an external IP.
      for (const np of d.namedPorts) {
        if (np.name === s.name && (!s.protocol || s.protocol === np.protocol)) out = union(out, portRange(np.protocol, np.port, np.port));
      }
    }
  }
  return out;
}

/** `has(portsOf(specs, d), protocol, port)`, without building the port set. */
function portsHave(specs: PortSpec[] | 'all', d: DestView, protocol: Protocol, port: number): boolean {
  if (specs === 'all') return true;
  for (const s of specs) {
    if (s.kind === 'range') {
      if (s.protocol === protocol && s.lo <= port && port <= s.hi) return true;
    } else if (d.isPod) {
      for (const np of d.namedPorts) if (np.name === s.name && (!s.protocol || s.protocol === np.protocol) && np.protocol === protocol && np.port === port) return true;
    }
  }
  return false;
}

export function decide(src: SourceRules, d: DestView, mode: IpBlockMode): Decision {
  let undecided = ALL_PORTS;
  let allowed = NO_PORTS;
  let passed = NO_PORTS;
  for (const r of src.admin) {
    if (isEmpty(undecided)) break;
    if (!rulePicks(r, d, mode)) continue;
    const hit = intersect(undecided, portsOf(r.ports, d));
    if (isEmpty(hit)) continue;
    if (r.action === 'Allow') allowed = union(allowed, hit);
    else if (r.action === 'Pass') passed = union(passed, hit);
    undecided = subtract(undecided, hit);
  }
  // Passed and undecided traffic falls to NetworkPolicy, then, if not isolated, to the baseline.
  const rest = union(undecided, passed);
  if (src.isolated) {
    let np = NO_PORTS;
    for (const r of src.networkPolicy) if (rulePicks(r, d, mode)) np = union(np, portsOf(r.ports, d));
    allowed = union(allowed, intersect(rest, np));
  } else {
    // Baseline tier: Allow/Accept and Pass (ClusterNetworkPolicy tier=Baseline: skip the rest of the
    // tier, so the default, allow, applies) both let traffic through; only Deny blocks.
    let left = rest;
    for (const r of src.baseline) {
      if (isEmpty(left)) break;
      if (!rulePicks(r, d, mode)) continue;
      const hit = intersect(left, portsOf(r.ports, d));
      if (r.action !== 'Deny') allowed = union(allowed, hit);
      left = subtract(left, hit);
    }
    allowed = union(allowed, left);
  }
  let approved = NO_PORTS;
  for (const r of src.allowlist) if (rulePicks(r, d, mode)) approved = union(approved, portsOf(r.ports, d));
  return { allowed, approved };
}

/** The rules that let one (protocol, port) through, following the same order as `decide`. */
/** One NetworkPolicy rule's entry in `explain`: the same for every counterexample it lets through, so shared (read-only). */
const npAllowedBy = new WeakMap<EgressRule, AllowedBy>();

export function explain(src: SourceRules, d: DestView, mode: IpBlockMode, protocol: Protocol, port: number): AllowedBy[] {
  const contains = (r: EgressRule) => portsHave(r.ports, d, protocol, port) && rulePicks(r, d, mode);
  const out: AllowedBy[] = [];
  for (const r of src.admin) {
    if (!contains(r)) continue;
    const p = src.adminPolicyOf.get(r);
    out.push({ origin: settledOrigin(r.origin), action: r.action, reason: `${p?.kind ?? 'admin policy'} ${p?.name ?? ''} (priority ${p?.priority}) ${r.action}`.trim() });
    if (r.action !== 'Pass') return out;
    break;
  }
  if (src.isolated) {
    for (const r of src.networkPolicy) {
      if (!portsHave(r.ports, d, protocol, port) || !rulePicks(r, d, mode)) continue;
      let a = npAllowedBy.get(r);
      if (!a) npAllowedBy.set(r, (a = { origin: settledOrigin(r.origin), action: 'Allow', reason: 'NetworkPolicy egress rule' }));
      out.push(a);
    }
    return out;
  }
  for (const r of src.baseline) {
    if (!contains(r)) continue;
    const p = src.adminPolicyOf.get(r);
    const then = r.action === 'Pass' ? ' (rest of the baseline tier skipped; default allow)' : '';
    out.push({ origin: settledOrigin(r.origin), action: r.action, reason: `${p?.kind ?? 'baseline policy'} ${p?.name ?? ''} ${r.action}${then}` });
    return out;
  }
  out.push({ reason: 'no NetworkPolicy isolates this pod for egress (default allow)' });
  return out;
}
