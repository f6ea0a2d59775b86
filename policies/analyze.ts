/**
 * For every workload: compliant, violation (with concrete counterexamples), or inconclusive.
 *
 * Destinations are pods from the input (grouped by namespace, labels and named ports) and the rest of
 * the address space, cut into cells on which every relevant ipBlock is constant. Each (source shape,
 * destination class, cell) is decided once over whole port sets and memoized.
 */
import { bits, nextSet, orInto, test, type Bits } from './bits.ts';
import { ALL_V4, ALL_V6, cells, formatIp, formatRange, representative, type Family, type IpRange } from './ipset.ts';
import type { ClusterModel, DestinationPod, EgressAllowlist, IpBlockMode, IpBlockModeOption, NamedPort, Peer, Workload, WorkloadKind } from './model.ts';
import { ALL_PORTS, formatPorts, has, intersect, isEmpty, NO_PORTS, pick, PROTOCOLS, subtract, union, type PortSet, type Protocol } from './ports.ts';
import { labelsKey, matches, type Labels } from './selectors.ts';
import { decide, explain, sourceRules, type AllowedBy, type DestView, type SourceRules } from './engine.ts';
import { Universe, type Component } from './universe.ts';

export interface AnalyzeOptions {
  /** Whether ipBlocks match pod IPs; `unknown` analyses both and reports either's violations. */
  mode?: IpBlockModeOption;
  /** Where pods without a known IP may sit; defaults to anywhere. */
  podCidrs?: IpRange[];
  /** Also consider an unlabelled pod in a namespace the input does not list (manifests only). */
  otherNamespaces?: boolean;
  /** Counterexamples kept per workload (all are counted). */
  maxCounterexamples?: number;
  /**
   * `bitset` (default): each rule evaluated once over all destinations as bitsets; `per-destination`:
   * every (source, destination) decided on its own, the reference the bitset engine is tested against.
   */
  engine?: 'bitset' | 'per-destination';
}

export type Destination =
  | { kind: 'pod'; namespace: string; name: string; workload?: string; ip?: string }
  | { kind: 'ip'; ip: string; range: string }
  | { kind: 'other-namespace-pod'; description: string };

export interface Counterexample {
  destination: Destination;
  protocol: Protocol;
  port: number;
  /** Every reachable, unapproved port to this destination, e.g. `TCP 1-52,54-65535`. */
  ports: string;
  allowedBy: AllowedBy[];
  /** The ipBlock modes under which this is reachable. */
  modes: IpBlockMode[];
}

export type Verdict = 'compliant' | 'violation' | 'inconclusive';

export interface WorkloadVerdict {
  namespace: string;
  name: string;
  kind: WorkloadKind;
  verdict: Verdict;
  counterexamples: Counterexample[];
  counterexampleCount: number;
  reasons: string[];
  /** Where the workload was declared, when read from a file. */
  file?: string;
  line?: number;
}

interface DestGroup {
  namespace: string;
  nsLabels: Labels;
  labels: Labels;
  namedPorts: NamedPort[];
  namedSig: string;
  known: DestinationPod[];
  /** Known pods bucketed by the global address cell of their first IP. */
  byCell: Map<string, DestinationPod[]>;
  templates: DestinationPod[];
  synthetic?: string;
}

interface ShapeOutcome {
  counterexamples: Counterexample[];
  count: number;
  localDoubts: string[];
  /** Set when this mode's outcome is another mode's, unchanged. */
  sameAs?: ShapeOutcome;
}

export class Analysis {
  readonly model: ClusterModel;
  readonly allowlist: EgressAllowlist;
  readonly modes: IpBlockMode[];
  private readonly podRanges: IpRange[];
  private readonly maxCx: number;
  private readonly engine: 'bitset' | 'per-destination';
  private readonly groups: DestGroup[] = [];
  private readonly groupsByNs = new Map<string, number[]>();
  private readonly pickCache = new Map<Peer, Map<string, number[]>>();
  private readonly npByNs = new Map<string, ClusterModel['networkPolicies']>();
  private readonly podIps = new Set<string>();
  private readonly cuts: Record<Family, bigint[]>;
  private universe?: Universe;
  private hasTemplates?: boolean;
  /** Port-set relations by interned ids: 0 disjoint, 1 overlapping, 2 the first contains the second. */
  private readonly relations: number[][] = [];
  /** Outcomes shared by every source shape with the same namespace and rules. */
  private readonly byRules = new Map<string, ShapeOutcome>();
  /** For (allowed port set, partial approval port sets): per atom of the former, which of the latter cover it; null when they cannot cover it all. */
  private readonly atomsByPorts = new Map<string, number[][] | null>();
  private readonly approvals = new Map<string, { groups: Component[][]; covers: Map<number, { whole: Bits[]; atoms?: Bits[][] }>; byPid?: Map<number, Component[]>; merged?: Map<number, Bits> }>();

  constructor(model: ClusterModel, allowlist: EgressAllowlist, opts: AnalyzeOptions = {}) {
    this.model = model;
    this.allowlist = allowlist;
    const mode = opts.mode ?? 'unknown';
    this.modes = mode === 'unknown' ? ['upstream', 'cilium'] : [mode];
    this.podRanges = opts.podCidrs?.length ? opts.podCidrs : [ALL_V4, ALL_V6];
    this.maxCx = opts.maxCounterexamples ?? 20;
    this.engine = opts.engine ?? 'bitset';
    for (const p of model.networkPolicies) {
      const list = this.npByNs.get(p.namespace) ?? [];
      list.push(p);
      this.npByNs.set(p.namespace, list);
    }
    const byKey = new Map<string, DestGroup>();
    for (const d of model.destinations) {
      if (d.hostNetwork) continue; // a hostNetwork pod answers on the node's address: an IP, not a pod
      for (const ip of d.ips) this.podIps.add(`${ip.family}:${ip.value}`);
      const namedSig = d.namedPorts.map((p) => `${p.name}/${p.protocol}/${p.port}`).sort().join(',');
      const key = `${d.namespace}\u0000${labelsKey(d.labels)}\u0000${namedSig}`;
      let g = byKey.get(key);
      if (!g) {
        const nsLabels = model.namespaces.get(d.namespace)?.labels ?? { 'kubernetes.io/metadata.name': d.namespace };
        g = { namespace: d.namespace, nsLabels, labels: d.labels, namedPorts: d.namedPorts, namedSig, known: [], byCell: new Map(), templates: [] };
        byKey.set(key, g);
      }
      (d.ips.length ? g.known : g.templates).push(d);
    }
    this.groups.push(...byKey.values());
    // Every ipBlock is constant on a global cell, so pods in one cell share every ipBlock verdict.
    const { cellOf, cuts } = globalCells(model, allowlist);
    this.cuts = cuts;
    for (const g of this.groups) {
      for (const d of g.known) {
        const ip = d.ips[0] as { family: Family; value: bigint };
        const key = cellOf(ip.family, ip.value);
        const list = g.byCell.get(key);
        if (list) list.push(d);
        else g.byCell.set(key, [d]);
      }
    }
    if (opts.otherNamespaces) {
      const ns = '(another namespace)';
      const pod: DestinationPod = { namespace: ns, name: '(any pod)', labels: {}, namedPorts: [], hostNetwork: false, ips: [] };
      this.groups.push({ namespace: ns, nsLabels: { 'kubernetes.io/metadata.name': ns }, labels: {}, namedPorts: [], namedSig: '', known: [], byCell: new Map(), templates: [pod], synthetic: 'an unlabelled pod in a namespace not in the input' });
    }
    this.groups.forEach((g, i) => {
      const list = this.groupsByNs.get(g.namespace) ?? [];
      list.push(i);
      this.groupsByNs.set(g.namespace, list);
    });
  }

  /** Verdicts for every workload in the model. */
  run(): WorkloadVerdict[] {
    const shapes = new Map<string, { shape: { namespace: string; labels: Labels }; outcome?: Map<IpBlockMode, ShapeOutcome>; merged?: ShapeOutcome; rules?: SourceRules }>();
    const out: WorkloadVerdict[] = [];
    for (const w of this.model.workloads) {
      const reasons = this.globalDoubts(w);
      let counterexamples: Counterexample[] = [];
      let count = 0;
      const local: string[] = [];
      if (!w.pod.hostNetwork) {
        const key = `${w.namespace}\u0000${labelsKey(w.pod.labels)}`;
        let s = shapes.get(key);
        if (!s) {
          s = { shape: { namespace: w.namespace, labels: w.pod.labels } };
          s.rules = sourceRules(this.model, this.allowlist.rules, s.shape, this.npByNs);
          s.outcome = this.analyseModes(s.rules);
          shapes.set(key, s);
        }
        const merged = (s.merged ??= mergeModes([...(s.outcome as Map<IpBlockMode, ShapeOutcome>).values()], this.maxCx));
        counterexamples = merged.counterexamples;
        count = merged.count;
        local.push(...merged.localDoubts);
        for (const u of s.rules?.unmodelled ?? []) reasons.push(`${u.what} in ${u.origin.object} ${u.origin.path} is not modelled`);
      }
      const verdict = reasons.length ? 'inconclusive' : count ? 'violation' : local.length ? 'inconclusive' : 'compliant';
      if (verdict === 'inconclusive' && !reasons.length) reasons.push(...local);
      out.push({ namespace: w.namespace, name: w.name, kind: w.kind, verdict, counterexamples, counterexampleCount: count, reasons, file: w.origin.file, line: w.origin.file ? w.origin.line : undefined });
    }
    return out;
  }

  /**
   * What the analysis expects for one concrete probe: is (protocol, port) at `address` allowed for
   * the workload's pods, and approved, under each ipBlock mode? The address is a pod's when a
   * (non-hostNetwork) pod in the input has it, else an external address.
   */
  query(w: Workload, address: { family: Family; value: bigint }, protocol: Protocol, port: number): { mode: IpBlockMode; allowed: boolean; approved: boolean }[] {
    const src = sourceRules(this.model, this.allowlist.rules, { namespace: w.namespace, labels: w.pod.labels }, this.npByNs);
    const gi = this.groups.findIndex((g) => g.known.some((d) => d.ips.some((a) => a.family === address.family && a.value === address.value)));
    const g = this.groups[gi];
    const view: DestView = g
      ? { isPod: true, picked: new Set(src.selectorPeers.filter((p) => this.picks(p, w.namespace).includes(gi))), address, namedPorts: g.namedPorts }
      : { isPod: false, picked: new Set(), address, namedPorts: [] };
    return this.modes.map((mode) => {
      const d = decide(src, view, mode);
      return { mode, allowed: has(d.allowed, protocol, port), approved: has(d.approved, protocol, port) };
    });
  }

  private globalDoubts(w: Workload): string[] {
    const out: string[] = [];
    if (w.pod.hostNetwork) out.push('hostNetwork: the pod uses the node network; NetworkPolicy does not apply to it');
    for (const u of this.model.unanalysed) {
      if (!u.namespace || u.namespace === w.namespace) out.push(`${u.kind} ${u.namespace ? `${u.namespace}/` : ''}${u.name} is present and not analysed`);
    }
    return out;
  }

  /** Indices of destination groups a selector peer picks, for a source in `srcNs`. */
  private picks(peer: Extract<Peer, { kind: 'pods' }>, srcNs: string): number[] {
    let byNs = this.pickCache.get(peer);
    if (!byNs) this.pickCache.set(peer, (byNs = new Map()));
    const cacheKey = peer.namespace === 'source' ? srcNs : '';
    const hit = byNs.get(cacheKey);
    if (hit) return hit;
    const out: number[] = [];
    const ns = peer.namespace;
    const candidates = ns === 'source' ? (this.groupsByNs.get(srcNs) ?? []) : 'name' in ns ? (this.groupsByNs.get(ns.name) ?? []) : this.groups.map((_, i) => i);
    for (const i of candidates) {
      const g = this.groups[i] as DestGroup;
      if (ns !== 'source' && 'selector' in ns && !matches(ns.selector, g.nsLabels)) continue;
      if (matches(peer.pods, g.labels)) out.push(i);
    }
    byNs.set(cacheKey, out);
    return out;
  }

  /**
   * Per ipBlock mode. Sources without admin-tier rules take the bitset path (every rule evaluated
   * once over all destinations); the rest, the per-destination path. When no rule of the source
   * tells the modes apart, the second mode's outcome is the first's.
   */
  private analyseModes(src: SourceRules): Map<IpBlockMode, ShapeOutcome> {
    if (this.engine === 'per-destination' || src.admin.length || src.baseline.length) return new Map(this.modes.map((m) => [m, this.analyseShape(src, m)]));
    const u = (this.universe ??= new Universe(this.groups, this.cuts));
    const ns = src.shape.namespace;
    const hasTemplates = (this.hasTemplates ??= this.groups.some((g) => g.templates.length));
    const invariant = (!hasTemplates || !src.ipBlocks.length) &&
      src.networkPolicy.every((r) => u.ruleModeInvariant(r, ns)) && src.allowlist.every((r) => u.ruleModeInvariant(r, ns));
    const out = new Map<IpBlockMode, ShapeOutcome>();
    for (const m of this.modes) {
      const first = out.values().next().value as ShapeOutcome | undefined;
      if (first && invariant) out.set(m, { ...first, counterexamples: first.counterexamples.map((cx) => ({ ...cx, modes: [m] })), sameAs: first });
      else out.set(m, this.analyseFast(u, src, m, invariant));
    }
    return out;
  }

  /** Relation of two interned port sets: 0 disjoint, 1 overlapping, 2 `a` contains `b`. */
  private relation(a: Component, b: { ports: PortSet; pid: number }): number {
    const row = (this.relations[a.pid] ??= []);
    let r = row[b.pid];
    if (r === undefined) row[b.pid] = r = isEmpty(subtract(b.ports, a.ports)) ? 2 : isEmpty(intersect(a.ports, b.ports)) ? 0 : 1;
    return r;
  }

  private analyseFast(u: Universe, src: SourceRules, mode: IpBlockMode, invariant: boolean): ShapeOutcome {
    const ns = src.shape.namespace;
    const ruleKey = `${ns}\u0000${src.isolated ? 1 : 0}\u0000${invariant ? '' : mode}\u0000${src.networkPolicy.map((r) => this.ruleId(r)).join(',')}\u0000${src.allowlist.map((r) => this.ruleId(r)).join(',')}`;
    const shared = this.byRules.get(ruleKey);
    if (shared) return { ...shared, counterexamples: shared.counterexamples.map((cx) => ({ ...cx, modes: [mode] })) };

    // Approved: the allowlist's components, by port set (shared by sources with the same allowlist rules).
    const alKey = `${ns}\u0000${invariant ? '' : mode}\u0000${src.allowlist.map((r) => this.ruleId(r)).join(',')}`;
    let shared2 = this.approvals.get(alKey);
    if (!shared2) {
      const approved = new Map<number, Component[]>();
      for (const r of src.allowlist) {
        for (const c of u.components(r, ns, mode)) {
          const list = approved.get(c.pid);
          if (list) list.push(c);
          else approved.set(c.pid, [c]);
        }
      }
      this.approvals.set(alKey, (shared2 = { groups: [...approved.values()], covers: new Map() }));
    }
    const groups = shared2.groups;
    const approvedByPid = (shared2.byPid ??= new Map(groups.map((l) => [(l[0] as Component).pid, l])));
    /** One bitset per approved port set: the positions any approval with those ports picks. */
    const merged = (shared2.merged ??= new Map<number, Bits>());
    const mergedOf = (list: Component[]): Bits => {
      const pid = (list[0] as Component).pid;
      let b = merged.get(pid);
      if (!b) {
        b = list.length === 1 ? (list[0] as Component).picks : list[0]!.picks.slice();
        for (let i = 1; i < list.length; i++) orInto(b, list[i]!.picks);
        merged.set(pid, b);
      }
      return b;
    };
    /**
     * For an allowed port set p: the approvals whose ports contain p, and (when only a combination
     * of partial approvals can cover p) per atom of p the approvals covering that atom.
     */
    const covers = shared2.covers;
    const coverOf = (p: { ports: PortSet; pid: number }) => {
      let hit = covers.get(p.pid);
      if (hit) return hit;
      const whole: Bits[] = [];
      const partial: Component[] = [];
      for (const list of groups) {
        const rel = this.relation(list[0] as Component, p);
        if (rel === 2) whole.push(mergedOf(list));
        else if (rel === 1) partial.push(list[0] as Component);
      }
      hit = { whole };
      if (partial.length) {
        // Which atoms of p each partial port set covers depends on port sets only: memoized by ids.
        const pids = [...new Set(partial.map((g) => g.pid))];
        const key = `${p.pid}|${pids.join(',')}`;
        let atomPids = this.atomsByPorts.get(key);
        if (atomPids === undefined) {
          const sets = pids.map((id) => (partial.find((g) => g.pid === id) as Component).ports);
          let rest = p.ports;
          for (const q of sets) if (!isEmpty(rest)) rest = subtract(rest, q);
          atomPids = isEmpty(rest)
            ? portAtoms(p.ports, sets).map((a) => pids.filter((_, i) => has(sets[i] as PortSet, a.protocol, a.lo))).sort((x, y) => x.length - y.length)
            : null;
          this.atomsByPorts.set(key, atomPids);
        }
        if (atomPids) hit.atoms = atomPids.map((ids) => ids.map((id) => mergedOf(approvedByPid.get(id) as Component[])));
      }
      covers.set(p.pid, hit);
      return hit;
    };
    /** Add to `violating` the positions of `picks` (word by word) where p is not all approved. */
    const violating = bits(u.n);
    const judge = (picks: Bits, p: { ports: PortSet; pid: number }) => {
      const cov = coverOf(p);
      const whole = cov.whole;
      for (let w = 0; w < violating.length; w++) {
        const m = picks[w]! & ~violating[w]!;
        if (!m) continue;
        let c = 0;
        for (let k = 0; k < whole.length && m & ~c; k++) c |= whole[k]![w]!;
        if (cov.atoms && m & ~c) {
          let x = ~c;
          for (const by of cov.atoms) {
            let y = 0;
            for (const b of by) y |= b[w]!;
            x &= y;
            if (!x) break;
          }
          c |= x;
        }
        violating[w]! |= m & ~c;
      }
    };
    // Violating destinations: some allowed component's ports not all approved there.
    if (src.isolated) {
      for (const r of src.networkPolicy) for (const c of u.components(r, ns, mode)) judge(c.picks, c);
    } else judge(u.everything, { ports: ALL_PORTS, pid: u.portId(ALL_PORTS) });
    const comps = {
      allowed: src.isolated ? src.networkPolicy.flatMap((r) => u.components(r, ns, mode)) : undefined,
      approved: groups.flat(),
    };
    const outcome = this.describe(u, src, mode, violating, comps);
    this.byRules.set(ruleKey, outcome);
    return outcome;
  }

  private readonly ruleIds = new Map<object, number>();
  private ruleId(r: object): number {
    let id = this.ruleIds.get(r);
    if (id === undefined) this.ruleIds.set(r, (id = this.ruleIds.size));
    return id;
  }

  /** Counterexamples in the order and form of `analyseShape`, from the violating positions. */
  private describe(u: Universe, src: SourceRules, mode: IpBlockMode, violating: Bits, comps: { allowed?: Component[]; approved: Component[] }): ShapeOutcome {
    const outcome: ShapeOutcome = { counterexamples: [], count: 0, localDoubts: [] };
    const ns = src.shape.namespace;
    /** The unapproved ports at one position, from the components that pick it (= decide's answer there). */
    const violationAt = (pos: number): PortSet => {
      let v: PortSet = ALL_PORTS;
      if (comps.allowed) {
        v = NO_PORTS;
        const seen = new Set<number>();
        for (const c of comps.allowed) if (!seen.has(c.pid) && test(c.picks, pos)) (seen.add(c.pid), (v = union(v, c.ports)));
      }
      const seen = new Set<number>();
      for (const c of comps.approved) {
        if (seen.has(c.pid) || !test(c.picks, pos)) continue;
        seen.add(c.pid);
        v = subtract(v, c.ports);
        if (isEmpty(v)) break;
      }
      return v;
    };
    // `explain` reads only NetworkPolicy rules' peers here (no admin tiers): the picked set needs no more.
    const npPeers = src.isolated ? src.networkPolicy.flatMap((r) => (r.peers === 'all' ? [] : r.peers.filter((p) => p.kind === 'pods'))) : [];
    let npPeerBits: { p: Extract<Peer, { kind: 'pods' }>; at: Bits }[] | undefined;
    const npPickedAt = (at: number) => {
      npPeerBits ??= npPeers.map((p) => ({ p, at: u.peerPicks(p, ns, mode) }));
      return new Set(npPeerBits.filter((x) => test(x.at, at)).map((x) => x.p));
    };
    const record = (view: DestView, v: PortSet, destination: Counterexample['destination']) => {
      const p = pick(v) as { protocol: Protocol; port: number };
      outcome.counterexamples.push({ destination, protocol: p.protocol, port: p.port, ports: formatPorts(v), allowedBy: explain(src, view, mode, p.protocol, p.port), modes: [mode] });
    };
    const violation = (view: DestView) => {
      const d = decide(src, view, mode);
      return subtract(d.allowed, d.approved);
    };
    const recordMany = <T>(view: DestView, items: readonly T[], describe: (t: T) => Counterexample['destination'], pos?: number) => {
      if (outcome.counterexamples.length < this.maxCx) {
        const v = pos === undefined ? violation(view) : violationAt(pos);
        for (const t of items) {
          if (outcome.counterexamples.length >= this.maxCx) break;
          record(view, v, describe(t));
        }
      }
      outcome.count += items.length;
    };
    let selectorPeers: { p: Extract<Peer, { kind: 'pods' }>; at: Bits }[] | undefined;
    const pickedAt = (at: number) => {
      selectorPeers ??= src.selectorPeers.map((p) => ({ p, at: u.peerPicks(p, ns, mode) }));
      return new Set(selectorPeers.filter((x) => test(x.at, at)).map((x) => x.p));
    };
    const ipMatters = src.ipBlocks.length > 0;
    const podBlocks = src.ipBlocks.some((b) => b.matchesPods);
    const addressBlind = !ipMatters || (mode === 'cilium' && !podBlocks);
    let podCells: IpRange[] | undefined;
    const sets = src.ipBlocks.map((b) => b.set);

    // Templates whose IP is unknown are decided cell by cell whatever the bitsets say (as analyseShape does).
    const sensitive = !addressBlind && (this.hasTemplates ??= this.groups.some((g) => g.templates.length));
    const visit = violating.slice();
    if (sensitive) orInto(visit, u.templates);
    const template = (gi: number, pos: number) => {
      const g = this.groups[gi] as DestGroup;
      const tpl = g.templates[0] as DestinationPod;
      const dest: Counterexample['destination'] = g.synthetic
        ? { kind: 'other-namespace-pod', description: g.synthetic }
        : { kind: 'pod', namespace: tpl.namespace, name: tpl.name, workload: tpl.workload };
      const describeTpl = (t: DestinationPod): Counterexample['destination'] => (g.synthetic ? dest : { kind: 'pod', namespace: t.namespace, name: t.name, workload: t.workload });
      if (addressBlind) {
        recordMany({ isPod: true, picked: npPickedAt(pos), namedPorts: g.namedPorts }, g.templates, describeTpl, pos);
        return;
      }
      podCells ??= ipMatters && (mode === 'upstream' || podBlocks) ? cells(this.podRanges, sets) : [];
      const picked = pickedAt(pos);
      const outcomes = podCells.map((c) => {
        const view: DestView = { isPod: true, picked, address: { family: c.family, value: representative(c) }, namedPorts: g.namedPorts };
        return { c, view, v: violation(view) };
      });
      const bad = outcomes.filter((o) => !isEmpty(o.v));
      if (bad.length === outcomes.length) {
        const o = bad[0] as (typeof outcomes)[number];
        recordMany(o.view, g.templates, describeTpl);
      } else if (bad.length) {
        const ranges = bad.slice(0, 3).map((o) => formatRange(o.c)).join(', ');
        outcome.localDoubts.push(`egress to ${g.synthetic ?? `${tpl.namespace}/${tpl.name}`} is unapproved only if its IP is in ${ranges}${bad.length > 3 ? ', ...' : ''}: its IP is unknown (analyse a live cluster or pass --pod-cidr)`);
      }
    };
    // Positions are laid out in group order, buckets before templates: set bits in order are the
    // destinations in analyseShape's order.
    for (let pos = nextSet(visit, 0); pos >= 0 && pos < u.podPositions; pos = nextSet(visit, pos + 1)) {
      if (outcome.counterexamples.length >= this.maxCx) {
        // Nothing more is listed: count the rest by popcount, and decide the remaining unknown-IP templates.
        outcome.count += u.podCount(violating, pos, sensitive);
        if (sensitive) for (let t = nextSet(u.templates, pos); t >= 0 && t < u.podPositions; t = nextSet(u.templates, t + 1)) template(u.groupAt[t] as number, t);
        break;
      }
      const gi = u.groupAt[pos] as number;
      const pods = u.podsAt[pos];
      if (!pods) {
        template(gi, pos);
        continue;
      }
      const g = this.groups[gi] as DestGroup;
      const ip = pods[0]!.ips[0] as { family: Family; value: bigint };
      const view: DestView = { isPod: true, picked: npPickedAt(pos), address: addressBlind ? undefined : ip, namedPorts: g.namedPorts };
      recordMany(view, pods, (pod) => {
        const a = pod.ips[0] as { family: Family; value: bigint };
        return { kind: 'pod', namespace: pod.namespace, name: pod.name, workload: pod.workload, ip: formatIp(a.family, a.value) };
      }, pos);
    }

    // Everything that is not a pod: the address space cut by the ipBlocks that matter here.
    for (const cell of u.localCells(sets)) {
      if (!test(violating, cell.from)) continue;
      outcome.count++;
      if (outcome.counterexamples.length >= this.maxCx) continue;
      const c = u.cellRange(cell);
      const rep = representative(c, this.podIps);
      const view: DestView = { isPod: false, picked: new Set(), address: { family: c.family, value: rep }, namedPorts: [] };
      record(view, violationAt(cell.from), { kind: 'ip', ip: formatIp(c.family, rep), range: formatRange(c) });
    }
    return outcome;
  }

  private analyseShape(src: SourceRules, mode: IpBlockMode): ShapeOutcome {
    const outcome: ShapeOutcome = { counterexamples: [], count: 0, localDoubts: [] };
    const touched = new Map<number, Peer[]>();
    for (const p of src.selectorPeers) {
      for (const g of this.picks(p, src.shape.namespace)) {
        const list = touched.get(g);
        if (list) list.push(p);
        else touched.set(g, [p]);
      }
    }
    const memo = new Map<string, PortSet>();
    const peerIndex = new Map<Peer, number>(src.selectorPeers.map((p, i) => [p, i]));
    const ipMatters = src.ipBlocks.length > 0;
    const sets = src.ipBlocks.map((b) => b.set);
    const bitsOf = (family: Family, value: bigint) => src.ipBlocks.map((b) => (b.set.ranges.some((r) => r.family === family && r.lo <= value && value <= r.hi) ? '1' : '0')).join('');
    const violation = (view: DestView, key: string): PortSet => {
      let v = memo.get(key);
      if (!v) {
        const d = decide(src, view, mode);
        v = subtract(d.allowed, d.approved);
        memo.set(key, v);
      }
      return v;
    };
    /** Count `n` violating destinations; describe only as many as are kept. */
    const recordMany = <T>(view: DestView, v: PortSet, items: readonly T[], describe: (t: T) => Counterexample['destination']) => {
      for (const t of items) {
        if (outcome.counterexamples.length >= this.maxCx) break;
        record(view, v, describe(t), false);
      }
      outcome.count += items.length;
    };
    const record = (view: DestView, v: PortSet, destination: Counterexample['destination'], count = true) => {
      if (count) outcome.count++;
      if (outcome.counterexamples.length >= this.maxCx) return;
      const p = pick(v) as { protocol: Protocol; port: number };
      outcome.counterexamples.push({ destination, protocol: p.protocol, port: p.port, ports: formatPorts(v), allowedBy: explain(src, view, mode, p.protocol, p.port), modes: [mode] });
    };
    // Whether a pod's address matters: every ipBlock in upstream mode; only admin `networks` in cilium mode.
    const podBlocks = src.ipBlocks.some((b) => b.matchesPods);
    const podCells = ipMatters && (mode === 'upstream' || podBlocks) ? cells(this.podRanges, sets) : [];

    this.groups.forEach((g, gi) => {
      const picked = new Set(touched.get(gi) ?? []);
      const base = `${[...picked].map((p) => peerIndex.get(p)).join(',')}|${src.usesNamedPorts ? g.namedSig : ''}`;
      const view = (address?: { family: Family; value: bigint }): DestView => ({ isPod: true, picked, address, namedPorts: g.namedPorts });
      const addressBlind = !ipMatters || (mode === 'cilium' && !podBlocks);
      for (const pods of g.byCell.values()) {
        const first = pods[0] as DestinationPod;
        const ip = first.ips[0] as { family: Family; value: bigint };
        const vw = view(addressBlind ? undefined : ip);
        const v = violation(vw, `${base}|${addressBlind ? '' : bitsOf(ip.family, ip.value)}`);
        if (isEmpty(v)) continue;
        recordMany(vw, v, pods, (pod) => {
          const a = pod.ips[0] as { family: Family; value: bigint };
          return { kind: 'pod', namespace: pod.namespace, name: pod.name, workload: pod.workload, ip: formatIp(a.family, a.value) };
        });
      }
      if (!g.templates.length) return;
      const tpl = g.templates[0] as DestinationPod;
      const dest: Counterexample['destination'] = g.synthetic
        ? { kind: 'other-namespace-pod', description: g.synthetic }
        : { kind: 'pod', namespace: tpl.namespace, name: tpl.name, workload: tpl.workload };
      if (addressBlind) {
        const vw = view();
        const v = violation(vw, `${base}|`);
        if (!isEmpty(v)) recordMany(vw, v, g.templates, (t) => (g.synthetic ? dest : { kind: 'pod', namespace: t.namespace, name: t.name, workload: t.workload }));
        return;
      }
      // The pod's IP is unknown: decide every cell it could sit in.
      const outcomes = podCells.map((c) => {
        const rep = { family: c.family, value: representative(c) };
        const vw = view(rep);
        return { c, vw, v: violation(vw, `${base}|${bitsOf(rep.family, rep.value)}`) };
      });
      const violating = outcomes.filter((o) => !isEmpty(o.v));
      if (violating.length === outcomes.length) {
        const o = violating[0] as (typeof outcomes)[number];
        recordMany(o.vw, o.v, g.templates, (t) => (g.synthetic ? dest : { kind: 'pod', namespace: t.namespace, name: t.name, workload: t.workload }));
      } else if (violating.length) {
        const ranges = violating.slice(0, 3).map((o) => formatRange(o.c)).join(', ');
        outcome.localDoubts.push(`egress to ${g.synthetic ?? `${tpl.namespace}/${tpl.name}`} is unapproved only if its IP is in ${ranges}${violating.length > 3 ? ', ...' : ''}: its IP is unknown (analyse a live cluster or pass --pod-cidr)`);
      }
    });

    // Everything that is not a pod: the address space cut by the ipBlocks that matter here.
    for (const c of cells([ALL_V4, ALL_V6], sets)) {
      const rep = representative(c, this.podIps);
      const vw: DestView = { isPod: false, picked: new Set(), address: { family: c.family, value: rep }, namedPorts: [] };
      const v = violation(vw, `ext|${bitsOf(c.family, rep)}`);
      if (!isEmpty(v)) record(vw, v, { kind: 'ip', ip: formatIp(c.family, rep), range: formatRange(c) });
    }
    return outcome;
  }
}

/** A function naming the global cell of an address: the cuts of every ipBlock in the input. */
function globalCells(model: ClusterModel, allowlist: EgressAllowlist): { cellOf: (family: Family, value: bigint) => string; cuts: Record<Family, bigint[]> } {
  const cuts: Record<Family, Set<bigint>> = { 4: new Set(), 6: new Set() };
  const addPeers = (peers: Peer[] | 'all') => {
    if (peers === 'all') return;
    for (const p of peers) if (p.kind === 'ipBlock') for (const r of p.set.ranges) cuts[r.family].add(r.lo).add(r.hi + 1n);
  };
  for (const p of model.networkPolicies) for (const r of p.rules) addPeers(r.peers);
  for (const p of model.adminPolicies) for (const r of p.rules) addPeers(r.peers);
  for (const r of allowlist.rules) addPeers(r.peers);
  const sorted = { 4: [...cuts[4]].sort(cmp), 6: [...cuts[6]].sort(cmp) };
  const cellOf = (family: Family, value: bigint) => {
    const list = sorted[family];
    let lo = 0, hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((list[mid] as bigint) <= value) lo = mid + 1;
      else hi = mid;
    }
    return `${family}:${lo}`;
  };
  return { cellOf, cuts: sorted };
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Union of per-mode outcomes: a counterexample in either mode counts, tagged with its modes. */
function mergeModes(outcomes: ShapeOutcome[], max: number): ShapeOutcome {
  if (outcomes.length === 1) return outcomes[0] as ShapeOutcome;
  const [a, b] = outcomes as [ShapeOutcome, ShapeOutcome];
  if (outcomes.length === 2 && b.sameAs === a) {
    // The second mode's outcome is the first's (no rule tells the modes apart): what the general
    // merge below would give, without keying every counterexample.
    return { counterexamples: a.counterexamples.slice(0, max).map((cx) => ({ ...cx, modes: [...cx.modes, ...(b.counterexamples[0]?.modes ?? [])] })), count: a.count, localDoubts: [...new Set(a.localDoubts)] };
  }
  const byKey = new Map<string, Counterexample>();
  let extra = 0;
  for (const o of outcomes) {
    for (const cx of o.counterexamples) {
      const key = `${JSON.stringify(cx.destination)}|${cx.protocol}|${cx.port}`;
      const prev = byKey.get(key);
      if (prev) prev.modes = [...prev.modes, ...cx.modes];
      else byKey.set(key, { ...cx, modes: [...cx.modes] });
    }
    extra = Math.max(extra, o.count);
  }
  const all = [...byKey.values()];
  return {
    counterexamples: all.slice(0, max),
    count: Math.max(extra, all.length),
    localDoubts: [...new Set(outcomes.flatMap((o) => o.localDoubts))],
  };
}

/** The pieces of `p` on which membership in every one of `sets` is constant. */
function portAtoms(p: PortSet, sets: readonly PortSet[]): { protocol: Protocol; lo: number; hi: number }[] {
  const out: { protocol: Protocol; lo: number; hi: number }[] = [];
  for (const protocol of PROTOCOLS) {
    const r = p[protocol];
    if (!r.length) continue;
    const cuts = new Set<number>();
    for (const s of sets) {
      const q = s[protocol];
      for (let i = 0; i < q.length; i += 2) {
        cuts.add(q[i] as number);
        cuts.add((q[i + 1] as number) + 1);
      }
    }
    const points = [...cuts].sort((a, b) => a - b);
    for (let i = 0; i < r.length; i += 2) {
      let lo = r[i] as number;
      const hi = r[i + 1] as number;
      for (const c of points) {
        if (c <= lo || c > hi) continue;
        out.push({ protocol, lo, hi: c - 1 });
        lo = c;
      }
      out.push({ protocol, lo, hi });
    }
  }
  return out;
}
