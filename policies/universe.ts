/**
 * Every destination the analysis decides about, laid out once as bit positions: each (destination
 * group, address cell) bucket of known pods, each group's templates, and every global address cell
 * outside the pods. Selectors, peers and rules then become bitsets over this universe, evaluated once
 * each over all destinations (labels indexed, ipBlocks as ranges of cells), not once per pair.
 */
import { and, bits, full, nextSet, orInto, Pool, set, setRange, test, wordBounds, type Bits } from './bits.ts';
import { familyMax, type Family } from './ipset.ts';
import type { DestinationPod, EgressRule, IpBlockMode, NamedPort, Peer } from './model.ts';
import { ALL_PORTS, formatPorts, NO_PORTS, portRange, union, type PortSet } from './ports.ts';
import { formatSelector, matches, type LabelSelector, type Labels } from './selectors.ts';

/** The groups of destination pods, as the analysis forms them. */
export interface UniverseGroup {
  namespace: string;
  nsLabels: Labels;
  labels: Labels;
  namedPorts: NamedPort[];
  byCell: Map<string, DestinationPod[]>;
  templates: DestinationPod[];
}

/** One rule, as a port set and the destinations it picks (named ports resolved per destination). */
export interface Component {
  ports: PortSet;
  /** Interned id of `ports`. */
  pid: number;
  /** Whole-length, as every bitset over the universe. */
  picks: Bits;
  /** The words of `picks` that may be non-zero: [lo, hi). */
  lo: number;
  hi: number;
  /** The non-zero words of `picks`, in order. */
  words: Int32Array;
}

export class Universe {
  /** Number of positions. */
  readonly n: number;
  /** Per group: its buckets' positions (in byCell order) and its templates' position (-1: none). */
  readonly buckets: number[][] = [];
  readonly templatesAt: number[] = [];
  /** Number of positions holding pods (buckets and templates), laid out in group order. */
  readonly podPositions: number;
  /** Pod positions in the groups' input order (each group's buckets, then its templates). */
  readonly order: Int32Array;
  /** Per pod position: its index in `order`. */
  readonly rank: Int32Array;
  /** Per pod position: its group, and its bucket's pods (undefined for a group's templates). */
  readonly groupAt: number[] = [];
  readonly podsAt: (DestinationPod[] | undefined)[] = [];
  /** Template positions. */
  readonly templates: Bits;
  /** Pod positions standing for more than one pod (their count is not 1). */
  private readonly heavy: Bits;
  /** Per pod position: how many pods (or templates) it stands for. */
  readonly weight: number[] = [];
  private readonly pods: Bits;
  private readonly all: Bits;
  private readonly ext: Record<Family, { cuts: bigint[]; offset: number }>;
  private readonly labelIdx = new Map<string, Bits>();
  private readonly keyIdx = new Map<string, Bits>();
  private readonly nsIdx = new Map<string, Bits>();
  private readonly nsLabels = new Map<string, Labels>();
  private readonly namedIdx = new Map<string, { np: NamedPort; at: Bits }[]>();
  /** Known-pod buckets by address, sorted, for ipBlocks that match pod IPs. */
  private readonly bucketIps: { family: Family; value: bigint; at: number }[] = [];
  private readonly selectorCache = new Map<string, Bits>();
  private readonly cutsOf = new Map<object, Record<Family, number[]>>();
  private readonly localStartsCache = new WeakMap<object, Bits>();
  private readonly ruleInvariant = new Map<object, boolean>();
  private readonly invariantOf = new Map<Peer, boolean>();
  private readonly peerOf = new Map<Peer, { at: Bits; podIps: Bits; both?: Bits }>();
  private readonly peerCache = new Map<string, { at: Bits; podIps: Bits; both?: Bits }>();
  private readonly peerByNs = new Map<Peer, Map<string, { at: Bits; podIps: Bits; both?: Bits }>>();
  /** Per rule: whether it has peers in the source's namespace, whether its picks are mode-invariant, its components. */
  private readonly compCache = new Map<object, { sourcePeers: boolean; invariant: boolean; fixed?: Component[]; byKey?: Map<string, Component[]> }>();
  private readonly portIds = new Map<string, number>();
  private readonly empty: Bits;

  constructor(groups: readonly UniverseGroup[], ipBlockCuts: Record<Family, bigint[]>) {
    let n = 0;
    const labelled: { at: number; g: UniverseGroup }[] = [];
    // Pod positions are laid out namespace by namespace (groups in input order within one), so a
    // selector confined to a namespace picks a few adjacent words, not bits scattered over all of
    // them; `order` keeps the groups' input order, the order counterexamples are listed in.
    const byNs = new Map<string, number[]>();
    groups.forEach((g, gi) => {
      const list = byNs.get(g.namespace);
      if (list) list.push(gi);
      else byNs.set(g.namespace, [gi]);
    });
    const positions: number[][] = groups.map(() => []);
    for (const list of byNs.values()) {
      for (const gi of list) {
        const g = groups[gi] as UniverseGroup;
        const here: number[] = [];
        for (const pods of g.byCell.values()) {
          const ip = pods[0]!.ips[0]!;
          this.bucketIps.push({ family: ip.family, value: ip.value, at: n });
          labelled.push({ at: n, g });
          this.groupAt[n] = gi;
          this.podsAt[n] = pods;
          this.weight[n] = pods.length;
          here.push(n++);
        }
        this.buckets[gi] = [...here];
        if (g.templates.length) {
          labelled.push({ at: n, g });
          this.groupAt[n] = gi;
          this.podsAt[n] = undefined;
          this.weight[n] = g.templates.length;
          this.templatesAt[gi] = n;
          here.push(n++);
        } else this.templatesAt[gi] = -1;
        positions[gi] = here;
      }
    }
    this.order = Int32Array.from(positions.flat());
    this.rank = new Int32Array(this.order.length);
    this.order.forEach((pos, k) => (this.rank[pos] = k));
    const podCount = n;
    this.podPositions = n;
    const ext = {} as Record<Family, { cuts: bigint[]; offset: number }>;
    for (const family of [4, 6] as const) {
      const cuts = [...new Set([0n, ...ipBlockCuts[family].filter((c) => c > 0n && c <= familyMax(family))])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      ext[family] = { cuts, offset: n };
      n += cuts.length;
    }
    this.ext = ext;
    this.n = n;
    this.empty = bits(n);
    this.all = full(n);
    this.pods = bits(n);
    if (podCount) setRange(this.pods, 0, podCount - 1);
    this.templates = bits(n);
    for (const t of this.templatesAt) if (t >= 0) set(this.templates, t);
    this.heavy = bits(n);
    this.weight.forEach((w, i) => w !== 1 && set(this.heavy, i));
    this.bucketIps.sort((a, b) => a.family - b.family || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    const get = (m: Map<string, Bits>, k: string) => {
      let b = m.get(k);
      if (!b) m.set(k, (b = bits(n)));
      return b;
    };
    for (const { at, g } of labelled) {
      for (const [k, v] of Object.entries(g.labels)) {
        set(get(this.labelIdx, `${k}\u0000${v}`), at);
        set(get(this.keyIdx, k), at);
      }
      set(get(this.nsIdx, g.namespace), at);
      this.nsLabels.set(g.namespace, g.nsLabels);
      for (const np of g.namedPorts) {
        const list = this.namedIdx.get(np.name) ?? [];
        let e = list.find((x) => x.np.port === np.port && x.np.protocol === np.protocol);
        if (!e) list.push((e = { np, at: bits(n) }));
        set(e.at, at);
        this.namedIdx.set(np.name, list);
      }
    }
  }

  /** Position of the global address cell holding an address outside the pods. */
  extAt(family: Family, value: bigint): number {
    const { cuts, offset } = this.ext[family];
    let lo = 0, hi = cuts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cuts[mid] as bigint) <= value) lo = mid + 1;
      else hi = mid;
    }
    return offset + lo - 1;
  }

  /** Pod positions a label selector picks, evaluated with the label index. */
  selector(sel: LabelSelector): Bits {
    const key = formatSelector(sel);
    let b = this.selectorCache.get(key);
    if (b) return b;
    b = this.pods.slice();
    const idx = (k: string, v: string) => this.labelIdx.get(`${k}\u0000${v}`) ?? this.empty;
    for (const [k, v] of Object.entries(sel.matchLabels ?? {})) b = and(b, idx(k, v));
    for (const e of sel.matchExpressions ?? []) {
      const has = this.keyIdx.get(e.key) ?? this.empty;
      const anyOf = bits(this.n);
      for (const v of e.values ?? []) orInto(anyOf, idx(e.key, v));
      if (e.operator === 'In') b = and(b, anyOf);
      else if (e.operator === 'Exists') b = and(b, has);
      else {
        // NotIn matches when the key is absent, too; DoesNotExist only then.
        const out = e.operator === 'NotIn' ? anyOf : has;
        b = b.slice();
        for (let i = 0; i < b.length; i++) b[i]! &= ~out[i]!;
      }
    }
    this.selectorCache.set(key, b);
    return b;
  }

  private namespaces(ns: Extract<Peer, { kind: 'pods' }>['namespace'], srcNs: string): Bits {
    if (ns === 'source') return this.nsIdx.get(srcNs) ?? this.empty;
    if ('name' in ns) return this.nsIdx.get(ns.name) ?? this.empty;
    const key = `ns:${formatSelector(ns.selector)}`;
    let b = this.selectorCache.get(key);
    if (!b) {
      b = bits(this.n);
      for (const [name, labels] of this.nsLabels) if (matches(ns.selector, labels)) orInto(b, this.nsIdx.get(name)!);
      this.selectorCache.set(key, b);
    }
    return b;
  }

  /** What one peer picks: `at` = pods it selects or address cells it holds, `podIps` = buckets whose pod IP it holds. */
  peer(p: Peer, srcNs: string): { at: Bits; podIps: Bits; both?: Bits } {
    if (p.kind === 'unmodelled') return { at: this.empty, podIps: this.empty };
    const bySource = p.kind === 'pods' && p.namespace === 'source';
    // A peer in the source's namespace picks per namespace: kept per peer and namespace.
    let byNs: Map<string, { at: Bits; podIps: Bits; both?: Bits }> | undefined;
    if (bySource) {
      byNs = this.peerByNs.get(p);
      if (!byNs) this.peerByNs.set(p, (byNs = new Map()));
      const own = byNs.get(srcNs);
      if (own) return own;
    } else {
      const own = this.peerOf.get(p);
      if (own) return own;
    }
    const key = bySource ? `${this.peerKey(p)}|${srcNs}` : this.peerKey(p);
    let hit = this.peerCache.get(key);
    if (hit) {
      if (byNs) byNs.set(srcNs, hit);
      else this.peerOf.set(p, hit);
      return hit;
    }
    if (p.kind === 'pods') {
      hit = { at: and(this.namespaces(p.namespace, srcNs), this.selector(p.pods)), podIps: this.empty };
    } else {
      const ext = bits(this.n);
      const podIps = bits(this.n);
      for (const r of p.set.ranges) {
        const lo = this.extAt(r.family, r.lo);
        const hi = r.hi >= familyMax(r.family) ? this.ext[r.family].offset + this.ext[r.family].cuts.length - 1 : this.extAt(r.family, r.hi + 1n) - 1;
        if (hi >= lo) setRange(ext, lo, hi);
        for (const b of this.bucketsIn(r.family, r.lo, r.hi)) set(podIps, b);
      }
      hit = { at: ext, podIps };
    }
    this.peerCache.set(key, hit);
    if (byNs) byNs.set(srcNs, hit);
    else this.peerOf.set(p, hit);
    return hit;
  }

  private readonly peerKeys = new WeakMap<Peer, string>();
  /** A key equal for peers that pick the same (a source-namespace peer's, before its namespace is added). */
  private peerKey(p: Extract<Peer, { kind: 'pods' | 'ipBlock' }>): string {
    let k = this.peerKeys.get(p);
    if (k === undefined) {
      k = p.kind === 'pods'
        ? `pods|${p.namespace === 'source' ? 'source' : 'name' in p.namespace ? `name:${p.namespace.name}` : `sel:${formatSelector(p.namespace.selector)}`}|${formatSelector(p.pods)}`
        : `ip|${p.set.ranges.map((r) => `${r.family}:${r.lo}-${r.hi}`).join(',')}`;
      this.peerKeys.set(p, k);
    }
    return k;
  }

  private bucketsIn(family: Family, lo: bigint, hi: bigint): number[] {
    const a = this.bucketIps;
    let i = 0, j = a.length;
    while (i < j) {
      const m = (i + j) >> 1;
      const x = a[m]!;
      if (x.family < family || (x.family === family && x.value < lo)) i = m + 1;
      else j = m;
    }
    const out: number[] = [];
    for (; i < a.length && a[i]!.family === family && a[i]!.value <= hi; i++) out.push(a[i]!.at);
    return out;
  }

  /** Positions one peer picks under a mode (ipBlocks pick pod IPs in upstream mode, or always for admin `networks`). */
  peerPicks(p: Peer, srcNs: string, mode: IpBlockMode): Bits {
    const x = this.peer(p, srcNs);
    return p.kind === 'ipBlock' && (mode === 'upstream' || p.matchesPods) ? (x.both ??= orWith(x.at, x.podIps)) : x.at;
  }

  /** Whether a peer picks the same positions in both modes. */
  modeInvariant(p: Peer, srcNs: string): boolean {
    if (p.kind !== 'ipBlock' || p.matchesPods) return true;
    let v = this.invariantOf.get(p);
    if (v === undefined) this.invariantOf.set(p, (v = this.peer(p, srcNs).podIps.every((w) => w === 0)));
    return v;
  }

  /** Whether a rule picks the same positions in both modes. */
  ruleModeInvariant(r: { peers: Peer[] | 'all' }, srcNs: string): boolean {
    if (r.peers === 'all') return true;
    // ipBlock peers do not depend on the source namespace: cache per rule.
    let v = this.ruleInvariant.get(r);
    if (v === undefined) this.ruleInvariant.set(r, (v = r.peers.every((p) => this.modeInvariant(p, srcNs))));
    return v;
  }

  /** Port sets already given an id, by object (most are a rule's own, asked for again per namespace). */
  private readonly portIdOf = new WeakMap<PortSet, number>();
  portId(s: PortSet): number {
    let id = this.portIdOf.get(s);
    if (id !== undefined) return id;
    const key = formatPorts(s);
    id = this.portIds.get(key);
    if (id === undefined) this.portIds.set(key, (id = this.portIds.size));
    this.portIdOf.set(s, id);
    return id;
  }

  /**
   * A rule as components with fixed port sets: its numeric ports over everything it picks, and one
   * component per value a named port resolves to, over the pods that name it so.
   */
  components(r: { peers: Peer[] | 'all'; ports: EgressRule['ports'] }, srcNs: string, mode: IpBlockMode): Component[] {
    let e = this.compCache.get(r);
    if (!e) {
      const sourcePeers = r.peers !== 'all' && r.peers.some((p) => p.kind === 'pods' && p.namespace === 'source');
      this.compCache.set(r, (e = { sourcePeers, invariant: this.ruleModeInvariant(r, srcNs) }));
    }
    // Most rules pick the same positions for every source and in both modes: one list.
    if (!e.sourcePeers && e.invariant) return (e.fixed ??= this.buildComponents(r, srcNs, mode));
    const key = e.sourcePeers ? `${srcNs}|${e.invariant ? '' : mode}` : mode;
    const byKey = (e.byKey ??= new Map());
    let hit = byKey.get(key);
    if (!hit) byKey.set(key, (hit = this.buildComponents(r, srcNs, mode)));
    return hit;
  }

  private buildComponents(r: { peers: Peer[] | 'all'; ports: EgressRule['ports'] }, srcNs: string, mode: IpBlockMode): Component[] {
    let picks: Bits;
    if (r.peers === 'all') picks = this.all;
    else {
      picks = bits(this.n);
      for (const p of r.peers) orInto(picks, this.peerPicks(p, srcNs, mode));
    }
    const out: Component[] = [];
    const add = (ports: PortSet, at: Bits) => {
      const [lo, hi] = wordBounds(at);
      out.push({ ports, pid: this.portId(ports), picks: at, lo, hi, words: nonZeroWords(at, lo, hi) });
    };
    if (r.ports === 'all') add(ALL_PORTS, picks);
    else {
      let fixed = NO_PORTS;
      for (const s of r.ports) if (s.kind === 'range') fixed = union(fixed, portRange(s.protocol, s.lo, s.hi));
      if (fixed.TCP.length || fixed.UDP.length || fixed.SCTP.length) add(fixed, picks);
      for (const s of r.ports) {
        if (s.kind !== 'named') continue;
        for (const e of this.namedIdx.get(s.name) ?? []) {
          if (s.protocol && s.protocol !== e.np.protocol) continue;
          add(portRange(e.np.protocol, e.np.port, e.np.port), and(picks, e.at));
        }
      }
    }
    return out;
  }

  /**
   * The set pod positions of `b` in the groups' input order, when there are at most `limit` of
   * them (else undefined: walk `order` instead).
   */
  podsInOrder(b: Bits, limit: number): Int32Array | undefined {
    const end = this.podPositions;
    const words = (end + 31) >>> 5;
    let n = 0;
    for (let w = 0; w < words; w++) {
      let x = b[w]!;
      if (w === words - 1 && end & 31) x &= (1 << (end & 31)) - 1;
      if (x && (n += popcount(x)) > limit) return undefined;
    }
    const ranks = new Int32Array(n);
    let i = 0;
    for (let w = 0; w < words; w++) {
      let x = b[w]!;
      if (w === words - 1 && end & 31) x &= (1 << (end & 31)) - 1;
      for (; x; x &= x - 1) ranks[i++] = this.rank[(w << 5) + (31 - Math.clz32(x & -x))]!;
    }
    ranks.sort();
    for (let k = 0; k < n; k++) ranks[k] = this.order[ranks[k]!]!;
    return ranks;
  }

  /** How many pods the set pod positions of `b` from position `from` on stand for (templates excluded when `skipTemplates`). */
  podCount(b: Bits, from: number, skipTemplates: boolean): number {
    let total = 0;
    const end = this.podPositions;
    for (let i = from; i < end; ) {
      const w = i >>> 5;
      if ((i & 31) === 0 && i + 32 <= end) {
        let word = b[w]!;
        if (skipTemplates) word &= ~this.templates[w]!;
        const heavy = word & this.heavy[w]!;
        total += popcount(word & ~heavy);
        for (let x = heavy; x; x &= x - 1) total += this.weight[(w << 5) + (31 - Math.clz32(x & -x))]!;
        i += 32;
      } else {
        if (test(b, i) && !(skipTemplates && test(this.templates, i))) total += this.weight[i]!;
        i++;
      }
    }
    return total;
  }

  /**
   * The address cells a source's ipBlocks cut the whole address space into (ipset.ts `cells`), as
   * ranges of global cells, given as bits: the first global cell of each is set. Kept per list (sources with the same rules share it). Walk them with `nextSet` from
   * `podPositions`, and `localCellAt` for each one's range.
   */
  localStartsOf(blocks: readonly Extract<Peer, { kind: 'ipBlock' }>[]): Bits {
    let hit = this.localStartsCache.get(blocks);
    if (!hit) {
      hit = this.bitsPool.take();
      set(hit, this.ext[4].offset);
      set(hit, this.ext[6].offset);
      for (const b of blocks) {
        const cut = this.cutsOfSet(b.set);
        for (const x of cut[4]) set(hit, x);
        for (const x of cut[6]) set(hit, x);
      }
      this.localStartsCache.set(blocks, hit);
    }
    return hit;
  }

  /** Forget the cells of these lists of ipBlocks (their sources are done). */
  releaseStarts(blocks: readonly object[]): void {
    const b = this.localStartsCache.get(blocks);
    if (!b) return;
    this.localStartsCache.delete(blocks);
    this.bitsPool.give(b);
  }

  /**
   * Bitsets over every position and word-index lists as long as one, for what lives for one
   * source or one list of rules (cell starts here; the engine's violating positions, template
   * cells and merged groups), given back when it is done (bits.ts `Pool`).
   */
  readonly bitsPool = new Pool<Bits>(() => bits(this.n), 256);
  readonly wordsPool = new Pool<Int32Array>(() => new Int32Array((this.n + 31) >>> 5), 64);

  /** The local cell that starts at global position `from` (a set bit of `localStartsOf`). */
  localCellAt(starts: Bits, from: number): { family: Family; from: number; to: number } {
    const family: Family = from < this.ext[6].offset ? 4 : 6;
    const end = family === 4 ? this.ext[6].offset : this.n;
    const next = nextSet(starts, from + 1);
    return { family, from, to: next < 0 || next > end ? end : next };
  }

  private cutsOfSet(s: { ranges: readonly { family: Family; lo: bigint; hi: bigint }[] }): Record<Family, number[]> {
    let cut = this.cutsOf.get(s);
    if (!cut) {
      cut = { 4: [], 6: [] };
      for (const r of s.ranges) {
        if (r.lo > 0n) cut[r.family].push(this.extAt(r.family, r.lo));
        if (r.hi < familyMax(r.family)) cut[r.family].push(this.extAt(r.family, r.hi + 1n));
      }
      this.cutsOf.set(s, cut);
    }
    return cut;
  }

  /** The addresses a range of global cells covers. */
  cellRange(c: { family: Family; from: number; to: number }): { family: Family; lo: bigint; hi: bigint } {
    const { offset, cuts } = this.ext[c.family];
    const lo = cuts[c.from - offset] as bigint;
    const hi = c.to - offset < cuts.length ? (cuts[c.to - offset] as bigint) - 1n : familyMax(c.family);
    return { family: c.family, lo, hi };
  }

  /** Every position: known pods, templates and address cells. */
  get everything(): Bits {
    return this.all;
  }
}

function nonZeroWords(b: Bits, lo: number, hi: number): Int32Array {
  let n = 0;
  for (let w = lo; w < hi; w++) if (b[w]) n++;
  const out = new Int32Array(n);
  n = 0;
  for (let w = lo; w < hi; w++) if (b[w]) out[n++] = w;
  return out;
}

function orWith(a: Bits, b: Bits): Bits {
  const out = a.slice();
  orInto(out, b);
  return out;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
