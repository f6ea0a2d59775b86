/**
 * For every workload: compliant, violation (with concrete counterexamples), or inconclusive.
 *
 * Destinations are pods from the input (grouped by namespace, labels and named ports) and the rest of
 * the address space, cut into cells on which every relevant ipBlock is constant. Sources without admin
 * tiers go through the bitset engine (bitset-engine.ts over universe.ts); the rest, and every source
 * with `engine: 'per-destination'`, through `analyseShape`: each (source shape, destination class,
 * cell) decided once over whole port sets and memoized, the reference the bitset engine is tested against.
 */
import { ALL_V4, ALL_V6, cells, formatIp, formatRange, representative, type Family, type IpRange } from './ipset.ts';
import type { AllowlistRule, ClusterModel, DestinationPod, EgressAllowlist, IpBlockMode, IpBlockModeOption, NamedPort, Peer, Workload, WorkloadKind } from './model.ts';
import { formatPorts, has, isEmpty, pick, subtract, type PortSet, type Protocol } from './ports.ts';
import { labelsKey, matches, type Labels } from './selectors.ts';
import { decide, explain, sourceRules, type AllowedBy, type DestView, type SourceRules } from './engine.ts';
import { Universe } from './universe.ts';
import { BitsetEngine } from './bitset-engine.ts';
import { ShapeIndex } from './shape-index.ts';

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

export interface DestGroup {
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

export interface ShapeOutcome {
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
  readonly podRanges: IpRange[];
  readonly podRangesAll: boolean;
  readonly maxCx: number;
  private readonly engine: 'bitset' | 'per-destination';
  readonly groups: DestGroup[] = [];
  private readonly groupsByNs = new Map<string, number[]>();
  private readonly pickCache = new Map<Peer, Map<string, number[]>>();
  private readonly npByNs = new Map<string, ClusterModel['networkPolicies']>();
  readonly podIps = new Set<string>();
  private readonly cuts: Record<Family, bigint[]>;
  private universe?: Universe;
  private hasTemplates?: boolean;
  private fast?: BitsetEngine;

  constructor(model: ClusterModel, allowlist: EgressAllowlist, opts: AnalyzeOptions = {}) {
    this.model = model;
    this.allowlist = allowlist;
    const mode = opts.mode ?? 'unknown';
    this.modes = mode === 'unknown' ? ['upstream', 'cilium'] : [mode];
    this.podRanges = opts.podCidrs?.length ? opts.podCidrs : [ALL_V4, ALL_V6];
    this.podRangesAll = !opts.podCidrs?.length;
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
    for (const g of byKey.values()) this.groups.push(g); // not push(...): 100,000+ groups overflow the stack
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

  /** Verdicts for every workload in the model; `onShapes` hears after each source shape how many of how many are done. */
  run(onShapes?: (done: number, total: number) => void): WorkloadVerdict[] {
    // Every distinct source shape, and what selects each, evaluated once per selector over all shapes.
    const shapeIds = new Map<string, number>();
    const shapeList: { namespace: string; labels: Labels }[] = [];
    const shapeOf: number[] = [];
    for (const w of this.model.workloads) {
      if (w.pod.hostNetwork) {
        shapeOf.push(-1);
        continue;
      }
      const key = `${w.namespace}\u0000${labelsKey(w.pod.labels)}`;
      let id = shapeIds.get(key);
      if (id === undefined) (shapeIds.set(key, (id = shapeList.length)), shapeList.push({ namespace: w.namespace, labels: w.pod.labels }));
      shapeOf.push(id);
    }
    const index = new ShapeIndex(shapeList, this.model, this.allowlist.rules);
    const rules = shapeList.map((shape, i) => sourceRules(this.model, this.allowlist.rules, shape, this.npByNs, index.selection(i)));
    // Shapes are analysed in an order that puts those with the same lists of rules side by side
    // (namespace, allowlist rules, then NetworkPolicy rules): what the engine derives from a list is
    // used in one stretch and released after its last shape, so it dies young instead of living to
    // the end of the run. The verdicts below are in workload order whatever the order here.
    const listIds = new Map<object, number>();
    const idOf = (l: object) => {
      let i = listIds.get(l);
      if (i === undefined) listIds.set(l, (i = listIds.size));
      return i;
    };
    const sortKey = rules.map((r) => [r.shape.namespace, idOf(r.allowlist), idOf(r.networkPolicy)] as const);
    const order = rules.map((_, i) => i).sort((a, b) => {
      const x = sortKey[a]!, y = sortKey[b]!;
      return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] - y[1] || x[2] - y[2] || a - b;
    });
    const listsOf = (r: SourceRules) => [r.allowlist, r.networkPolicy, r.ipBlocks];
    const lastUse = new Map<object, number>();
    order.forEach((id, k) => {
      for (const l of listsOf(rules[id]!)) lastUse.set(l, k);
    });
    const merged: ShapeOutcome[] = [];
    order.forEach((id, k) => {
      const src = rules[id]!;
      merged[id] = mergeModes([...this.analyseModes(src).values()], this.maxCx);
      const done = listsOf(src).filter((l) => lastUse.get(l) === k);
      if (done.length) {
        this.fast?.release(done);
        for (const l of done) this.universe?.releaseStarts(l);
      }
      onShapes?.(k + 1, order.length);
    });
    const out: WorkloadVerdict[] = [];
    this.model.workloads.forEach((w, wi) => {
      const reasons = this.globalDoubts(w);
      let counterexamples: Counterexample[] = [];
      let count = 0;
      const local: string[] = [];
      const id = shapeOf[wi]!;
      if (id >= 0) {
        const m = merged[id]!;
        counterexamples = m.counterexamples;
        count = m.count;
        local.push(...m.localDoubts);
        for (const u of rules[id]!.unmodelled) reasons.push(`${u.what} in ${u.origin.object} ${u.origin.path} is not modelled`);
      }
      const verdict = reasons.length ? 'inconclusive' : count ? 'violation' : local.length ? 'inconclusive' : 'compliant';
      if (verdict === 'inconclusive' && !reasons.length) reasons.push(...local);
      out.push({ namespace: w.namespace, name: w.name, kind: w.kind, verdict, counterexamples, counterexampleCount: count, reasons, file: w.origin.file, line: w.origin.file ? w.origin.line : undefined });
    });
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

  private readonly allowlistByNs = new Map<string, AllowlistRule[]>();
  /** The allowlist rules whose `from.namespaces` admits the namespace: every rule a source there can be selected by. */
  allowlistIn(ns: string): readonly AllowlistRule[] {
    let hit = this.allowlistByNs.get(ns);
    if (!hit) {
      const labels = this.model.namespaces.get(ns)?.labels ?? { 'kubernetes.io/metadata.name': ns };
      this.allowlistByNs.set(ns, (hit = this.allowlist.rules.filter((r) => !r.from.namespaces || matches(r.from.namespaces, labels))));
    }
    return hit;
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
      else out.set(m, (this.fast ??= new BitsetEngine(this)).analyse(u, src, m, invariant));
    }
    return out;
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

/** Destinations as merge keys (the modes of one source share their destination objects). */
const destinationKeys = new WeakMap<Destination, string>();

/** A key equal for two destinations exactly when every field is (what comparing their JSON would say, without writing it). */
function destinationKey(d: Destination): string {
  if (d.kind === 'pod') return `pod\u0000${d.namespace}\u0000${d.name}\u0000${d.workload === undefined ? '\u0001' : d.workload}\u0000${d.ip === undefined ? '\u0001' : d.ip}`;
  if (d.kind === 'ip') return `ip\u0000${d.ip}\u0000${d.range}`;
  return `other\u0000${d.description}`;
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
  if (outcomes.length === 2 && sameDestinations(a.counterexamples, b.counterexamples)) {
    // Both modes list the same destinations and ports in the same order (the engine's second mode
    // reuses the first's destination objects): the general merge's answer, without keying them.
    const local = a.localDoubts.concat(b.localDoubts);
    return {
      counterexamples: a.counterexamples.slice(0, max).map((cx, i) => ({ ...cx, modes: [...cx.modes, ...(b.counterexamples[i] as Counterexample).modes] })),
      count: Math.max(a.count, b.count, a.counterexamples.length),
      localDoubts: local.length ? [...new Set(local)] : local,
    };
  }
  const byKey = new Map<string, Counterexample>();
  let extra = 0;
  for (const o of outcomes) {
    for (const cx of o.counterexamples) {
      let dest = destinationKeys.get(cx.destination);
      if (dest === undefined) destinationKeys.set(cx.destination, (dest = destinationKey(cx.destination)));
      const key = `${dest}|${cx.protocol}|${cx.port}`;
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

/** Whether two lists name the same (destination object, protocol, port) at every index. */
function sameDestinations(a: readonly Counterexample[], b: readonly Counterexample[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Counterexample, y = b[i] as Counterexample;
    if (x.destination !== y.destination || x.protocol !== y.protocol || x.port !== y.port) return false;
  }
  return true;
}
