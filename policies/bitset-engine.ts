/**
 * The bitset engine: for one source's rules (no admin tiers), every rule is a set of components
 * (port set x destinations picked, as bits over the Universe), judged word by word against the
 * allowlist's components; only violating positions are then described, in the per-destination
 * engine's order and form (analyze.ts `analyseShape`, the reference it is tested equal to).
 */
import { countAnd, nextSet, orInto, test, type Bits, type Pool } from './bits.ts';
import { cells, formatIp, formatRange, representative, type Family, type IpRange } from './ipset.ts';
import type { AllowlistRule, DestinationPod, EgressRule, IpBlockMode, NamedPort, Peer } from './model.ts';
import { ALL_PORTS, formatPorts, has, intersect, isEmpty, NO_PORTS, pick, PROTOCOLS, subtract, union, type PortSet, type Protocol } from './ports.ts';
import { decide, explain, type DestView, type SourceRules } from './engine.ts';
import type { Component, Universe } from './universe.ts';
import type { Counterexample, DestGroup, ShapeOutcome } from './analyze.ts';

/** For an allowed port set: the approvals whose ports contain it, those that overlap it, and how the latter can cover it together (undefined: not built yet; null: they cannot cover it). */
type Cover = { whole: Component[]; wholeRules: number[]; partial: Component[]; atoms?: AtomCover | null };

/**
 * How partial approvals can cover an allowed port set p together: every atom of p needs one of
 * the port sets (ids) covering it. The distinct ids are listed once; atom i's are
 * `ids[at[end[i-1]..end[i])]`. Only atoms that constrain are kept: one whose ids include all of
 * another kept atom's adds nothing (what covers the other covers it), so atoms with the same ids
 * are one. Fewest ids first, so the test of a position fails early. Depends on port sets only.
 */
type AtomCover = { ids: number[]; at: Int32Array; end: Int32Array };

function atomCover(atoms: number[][]): AtomCover {
  atoms.sort((x, y) => x.length - y.length);
  const kept: Set<number>[] = [];
  for (const a of atoms) {
    const mine = new Set(a);
    if (!kept.some((k) => k.size <= mine.size && [...k].every((id) => mine.has(id)))) kept.push(mine);
  }
  const ids: number[] = [];
  const index = new Map<number, number>();
  const at: number[] = [];
  const end = new Int32Array(kept.length);
  kept.forEach((k, i) => {
    for (const id of k) {
      let j = index.get(id);
      if (j === undefined) (index.set(id, (j = ids.length)), ids.push(id));
      at.push(j);
    }
    end[i] = at.length;
  });
  return { ids, at: Int32Array.from(at), end };
}

/**
 * A whole-length bitset with the words it may have set, [lo, hi), and `words` its non-zero ones
 * when known.
 */
type Picks = { picks: Bits; lo: number; hi: number; words?: Int32Array };

/**
 * A source's allowed components merged by port set: judging and describing read only which port
 * sets pick a position, so one bitset per port set (the union of its components) gives the same
 * answers with fewer bitsets to judge (a source's policies often repeat a port set: TCP 443, a
 * named port).
 */
/** `owned`: a merged group, whose `picks` and `words` (a view from its start) come from the universe's pools and go back when its list is released. */
type Group = Picks & { ports: PortSet; pid: number; words: Int32Array; owned?: true };

/** Approvals of one port set: their components, and for each the index of its rule in the namespace's list. */
type PidApprovals = { comps: Component[]; rules: number[] };

/**
 * The components of every allowlist rule some source in one namespace is selected by, by port
 * set, and the covers found so far (per namespace and mode). A source's own list of allowlist rules
 * is a subset, read through a mask over `rules`: the namespace's lists overlap a great deal (a
 * source is selected by half of 200 rules), so covers are worked out once per namespace, not per list.
 */
type Approvals = { rules: Map<AllowlistRule, number>; byPid: Map<number, PidApprovals>; covers: Map<number, Cover>; groups: PidApprovals[] };

/**
 * What the engine keeps per list of rules (lists are interned per namespace, shape-index.ts, so a
 * list stands for its namespace and rules): whether its rules pick the same positions in both
 * modes, its components and merged groups per mode, as an allowlist list its mask over its
 * namespace's approvals, and as a NetworkPolicy list the outcomes per allowlist list and mode (shared by every source
 * shape with both lists).
 */
type ListInfo = {
  invariant: boolean;
  comps?: Map<string, Component[]>;
  groups?: Map<string, Group[]>;
  /** As an allowlist list: which of its namespace's approvals (`Approvals.rules`) it holds. */
  member?: { of: Approvals; mask: Uint8Array; own?: OwnApprovals };
  outcomes?: Map<readonly object[], Map<string, ShapeOutcome>>;
};

/**
 * One allowlist list's own approvals, by port set (the namespace's groups read through the list's
 * mask), flattened: group g's port set is `ports[g]` and its bitsets `picks[end[g-1]..end[g])`.
 * Built when a counterexample is first described, once per list.
 */
type OwnApprovals = { ports: PortSet[]; picks: Bits[]; end: Int32Array };

function ownApprovals(groups: readonly PidApprovals[], member: Uint8Array): OwnApprovals {
  const ports: PortSet[] = [];
  const picks: Bits[] = [];
  const ends: number[] = [];
  for (const a of groups) {
    const before = picks.length;
    for (let i = 0; i < a.comps.length; i++) if (member[a.rules[i]!]) picks.push(a.comps[i]!.picks);
    if (picks.length > before) (ports.push((a.comps[0] as Component).ports), ends.push(picks.length));
  }
  return { ports, picks, end: Int32Array.from(ends) };
}

function picksAt(g: Picks, pos: number): boolean {
  return test(g.picks, pos);
}

/** Components by port set, in order of first appearance; one component stays as it is. */
function groupByPorts(list: readonly Component[], bitsPool: Pool<Bits>, wordsPool: Pool<Int32Array>): Group[] {
  const by = new Map<number, Component[]>();
  for (const c of list) {
    const l = by.get(c.pid);
    if (l) l.push(c);
    else by.set(c.pid, [c]);
  }
  const out: Group[] = [];
  for (const cs of by.values()) {
    const c0 = cs[0] as Component;
    if (cs.length === 1) {
      out.push({ ports: c0.ports, pid: c0.pid, picks: c0.picks, lo: c0.lo, hi: c0.hi, words: c0.words });
      continue;
    }
    let lo = c0.lo, hi = c0.hi;
    for (const c of cs) if (c.lo < c.hi) (lo = Math.min(lo, c.lo), hi = Math.max(hi, c.hi));
    if (lo >= hi) lo = hi = 0;
    const picks = bitsPool.take();
    for (const c of cs) {
      const ws = c.words, p = c.picks;
      for (let k = 0; k < ws.length; k++) picks[ws[k]!]! |= p[ws[k]!]!;
    }
    const all = wordsPool.take();
    let n = 0;
    for (let i = lo; i < hi; i++) if (picks[i]) all[n++] = i;
    out.push({ ports: c0.ports, pid: c0.pid, picks, lo, hi, words: all.subarray(0, n), owned: true });
  }
  return out;
}

/** What the engine reads from the analysis: destination groups and counterexample options. */
export interface BitsetContext {
  groups: readonly DestGroup[];
  /** Every allowlist rule some source in the namespace is selected by, in the allowlist's order. */
  allowlistIn(ns: string): readonly AllowlistRule[];
  maxCx: number;
  podRanges: IpRange[];
  /** Whether pod IPs may be anywhere (no --pod-cidr): the pod cells are the address cells. */
  podRangesAll: boolean;
  podIps: ReadonlySet<string>;
}

/** The picked peers of an address that is not a pod (none; read-only). */
const NO_PEERS: DestView['picked'] = new Set();
/** The named ports of an address that is not a pod (none; read-only). */
const NO_NAMED_PORTS: readonly NamedPort[] = [];

export class BitsetEngine {
  private readonly ctx: BitsetContext;
  private readonly hasTemplates: boolean;
  /** Port-set relations by interned ids: 0 disjoint, 1 overlapping, 2 the first contains the second. */
  private readonly relations: number[][] = [];
  /** For (allowed port set, partial approval port sets): how the latter cover the former (AtomCover); null when they cannot cover it all. */
  private readonly atomsByPorts = new Map<string, AtomCover | null>();

  constructor(ctx: BitsetContext) {
    this.ctx = ctx;
    this.hasTemplates = ctx.groups.some((g) => g.templates.length > 0);
  }

  /** Relation of two interned port sets: 0 disjoint, 1 overlapping, 2 `a` contains `b`. */
  private relation(a: Component, b: { ports: PortSet; pid: number }): number {
    const row = (this.relations[a.pid] ??= []);
    let r = row[b.pid];
    if (r === undefined) row[b.pid] = r = isEmpty(subtract(b.ports, a.ports)) ? 2 : isEmpty(intersect(a.ports, b.ports)) ? 0 : 1;
    return r;
  }

  /** Per list of rules (SourceRules share theirs): see ListInfo. */
  private readonly lists = new WeakMap<readonly object[], ListInfo>();
  private listInfo(u: Universe, list: readonly (EgressRule | AllowlistRule)[], ns: string) {
    let hit = this.lists.get(list);
    if (!hit) this.lists.set(list, (hit = { invariant: list.every((r) => u.ruleModeInvariant(r, ns)) }));
    return hit;
  }
  /** The components of a list of rules, flattened, per mode (one list when the rules are mode-invariant). */
  private listComponents(u: Universe, list: readonly (EgressRule | AllowlistRule)[], ns: string, mode: IpBlockMode): Component[] {
    const info = this.listInfo(u, list, ns);
    const key = info.invariant ? '' : mode;
    const byMode = (info.comps ??= new Map());
    let hit = byMode.get(key);
    if (!hit) {
      hit = [];
      for (const r of list) for (const c of u.components(r, ns, mode)) hit.push(c);
      byMode.set(key, hit);
    }
    return hit;
  }
  /** The allowed components of a list of NetworkPolicy rules, merged by port set, per mode. */
  private listGroups(u: Universe, list: readonly EgressRule[], ns: string, mode: IpBlockMode): Group[] {
    const info = this.listInfo(u, list, ns);
    const key = info.invariant ? '' : mode;
    const byMode = (info.groups ??= new Map());
    let hit = byMode.get(key);
    if (!hit) byMode.set(key, (hit = groupByPorts(this.listComponents(u, list, ns, mode), u.bitsPool, u.wordsPool)));
    return hit;
  }

  /**
   * One namespace's approvals, per mode (one entry when its rules are mode-invariant); kept for one
   * namespace at a time: sources are analysed namespace by namespace.
   */
  private approvalsOf?: { ns: string; invariant: boolean; byMode: Map<string, Approvals> };
  private approvalsIn(u: Universe, ns: string, mode: IpBlockMode): Approvals {
    const rules = this.ctx.allowlistIn(ns);
    if (this.approvalsOf?.ns !== ns) this.approvalsOf = { ns, invariant: rules.every((r) => u.ruleModeInvariant(r, ns)), byMode: new Map() };
    const { invariant, byMode } = this.approvalsOf;
    const key = invariant ? '' : mode;
    let hit = byMode.get(key);
    if (hit) return hit;
    const index = new Map<AllowlistRule, number>();
    const byPid = new Map<number, PidApprovals>();
    rules.forEach((r, i) => {
      index.set(r, i);
      for (const c of u.components(r, ns, mode)) {
        const a = byPid.get(c.pid);
        if (a) (a.comps.push(c), a.rules.push(i));
        else byPid.set(c.pid, { comps: [c], rules: [i] });
      }
    });
    byMode.set(key, (hit = { rules: index, byPid, covers: new Map(), groups: [...byPid.values()] }));
    return hit;
  }

  analyse(u: Universe, src: SourceRules, mode: IpBlockMode, invariant: boolean): ShapeOutcome {
    this.universe = u;
    const ns = src.shape.namespace;
    const npInfo = this.listInfo(u, src.networkPolicy, ns);
    const alInfo = this.listInfo(u, src.allowlist, ns);
    // Outcomes are shared by every source shape with the same lists (hence namespace) and isolation.
    const outcomeKey = `${src.isolated ? 1 : 0}${invariant ? '' : mode}`;
    const npOutcomes = (npInfo.outcomes ??= new Map<readonly object[], Map<string, ShapeOutcome>>());
    let outcomes = npOutcomes.get(src.allowlist);
    if (!outcomes) npOutcomes.set(src.allowlist, (outcomes = new Map<string, ShapeOutcome>()));
    const shared = outcomes.get(outcomeKey);
    if (shared) return { ...shared, counterexamples: shared.counterexamples.map((cx) => ({ ...cx, modes: [mode] })) };

    // Approved: the namespace's allowlist components, by port set, read through this list's mask.
    const appr = this.approvalsIn(u, ns, mode);
    if (alInfo.member?.of !== appr) {
      const mask = new Uint8Array(appr.rules.size);
      for (const r of src.allowlist) {
        const i = appr.rules.get(r);
        if (i === undefined) throw new Error(`internal: allowlist rule ${r.name} is not among ${ns}'s`);
        mask[i] = 1;
      }
      alInfo.member = { of: appr, mask };
    }
    const member = alInfo.member.mask;
    const { byPid, covers } = appr;
    const allowed = src.isolated ? this.listGroups(u, src.networkPolicy, ns, mode) : undefined;
    /**
     * For an allowed port set p: the approvals whose ports contain p, and (when only a combination
     * of partial approvals can cover p) per atom of p the approvals covering that atom.
     */
    const coverOf = (p: { ports: PortSet; pid: number }): Cover => {
      let hit = covers.get(p.pid);
      if (hit) return hit;
      const found: { c: Component; rule: number }[] = [];
      const partial: Component[] = [];
      for (const a of byPid.values()) {
        const rel = this.relation(a.comps[0] as Component, p);
        if (rel === 2) a.comps.forEach((c, i) => found.push({ c, rule: a.rules[i] as number }));
        else if (rel === 1) partial.push(a.comps[0] as Component);
      }
      // Broadest first (most non-zero words): a judged word is read from them until it is
      // covered, and a broad approval covers it soonest (the union, hence the answer, is the same).
      found.sort((x, y) => y.c.words.length - x.c.words.length);
      const whole = found.map((f) => f.c);
      const wholeRules = found.map((f) => f.rule);
      covers.set(p.pid, (hit = { whole, wholeRules, partial, atoms: partial.length ? undefined : null }));
      return hit;
    };
    /** How the partial approvals can cover p (see AtomCover); null when they cannot (built when first needed). */
    const atomsOf = (p: { ports: PortSet; pid: number }, cov: Cover): AtomCover | null => {
      if (cov.atoms !== undefined) return cov.atoms;
      // Which atoms of p each partial port set covers depends on port sets only: memoized by ids.
      const pids = cov.partial.map((g) => g.pid);
      const key = `${p.pid}|${pids.join(',')}`;
      let atomPids = this.atomsByPorts.get(key);
      if (atomPids === undefined) {
        const sets = cov.partial.map((g) => g.ports);
        let rest = p.ports;
        for (const q of sets) if (!isEmpty(rest)) rest = subtract(rest, q);
        atomPids = isEmpty(rest)
          ? atomCover(portAtoms(p.ports, sets).map((a) => pids.filter((_, i) => has(sets[i] as PortSet, a.protocol, a.lo))))
          : null;
        this.atomsByPorts.set(key, atomPids);
      }
      // Shared by every allowlist set with these port sets: `judge` reads each id's approvals from byPid.
      return (cov.atoms = atomPids);
    };
    /**
     * Add to `target` the positions (from word `from` on) where some allowed component's ports are
     * not all approved, word by word over the words the component can pick, against the approvals
     * that can pick those words. `virt` reads every component through a view (a template pod placed
     * in an address cell, see `atTemplate`).
     */
    const judgeAll = (target: Bits, virt?: (c: Picks) => Picks, from = 0) => {
      // The approvals that can pick a component's words, gathered into reused buffers (no arrays
      // per judged component: allocation was a good part of the cost).
      const wholeBuf = this.wholeBuf, idBuf = this.idBuf, idEnd = this.idEnd, idWord = this.idWord, idAt = this.idAt;
      /** The approvals of this source's list among `list` that can pick words in [lo, hi), into `out` from `n` on (one function per judgement, not per component). */
      const overlap = (list: readonly Component[], rules: readonly number[], out: Bits[], n: number, lo: number, hi: number) => {
        for (let i = 0; i < list.length; i++) {
          if (!member[rules[i]!]) continue;
          const a = list[i]!;
          const v = virt ? virt(a) : a;
          if (v.lo < hi && v.hi > lo) out[n++] = v.picks;
        }
        return n;
      };
      const judge = (comp: Picks, p: { ports: PortSet; pid: number }) => {
        const c0 = virt ? virt(comp) : comp;
        const lo = Math.max(c0.lo, from), hi = c0.hi;
        if (lo >= hi) return;
        const cov = coverOf(p);
        const nWhole = overlap(cov.whole, cov.wholeRules, wholeBuf, 0, lo, hi);
        // An approval of all these ports that picks every position (no `to`, or one picking a
        // template pod, which `atTemplate` reads as picking every cell) leaves nothing to judge.
        for (let k = 0; k < nWhole; k++) if (wholeBuf[k] === u.everything) return;
        /**
         * Atoms gathered: -1 not yet, 0 none can cover, else how many (`by`'s). Id j's approvals
         * are idBuf[idEnd[j-1]..idEnd[j]); the OR of their words at w is idWord[j] once idAt[j] is w.
         */
        let nAtoms = cov.atoms === null ? 0 : -1;
        let by: AtomCover | null = null;
        // Over the component's non-zero words (all of [lo, hi) for a virtual one).
        const words = c0.words;
        const count = words ? words.length : hi - lo;
        for (let k0 = 0; k0 < count; k0++) {
          const w = words ? words[k0]! : lo + k0;
          if (w < lo) continue;
          const m = c0.picks[w]! & ~target[w]!;
          if (!m) continue;
          let c = 0;
          for (let k = 0; k < nWhole && m & ~c; k++) c |= wholeBuf[k]![w]!;
          if (nAtoms !== 0 && m & ~c) {
            if (nAtoms < 0) {
              by = atomsOf(p, cov);
              nAtoms = 0;
              if (by) {
                // Each id's approvals once (an id covers many atoms), then whether every atom has
                // an id with some: an atom without one can never be covered.
                let n = 0;
                for (let j = 0; j < by.ids.length; j++) {
                  const a = byPid.get(by.ids[j]!) as PidApprovals;
                  idEnd[j] = n = overlap(a.comps, a.rules, idBuf, n, lo, hi);
                  idAt[j] = -1;
                }
                nAtoms = by.end.length;
                for (let i = 0, start = 0; i < by.end.length && nAtoms; start = by.end[i++]!) {
                  let some = false;
                  for (let q = start; q < by.end[i]! && !some; q++) {
                    const j = by.at[q]!;
                    some = idEnd[j]! > (j ? idEnd[j - 1]! : 0);
                  }
                  if (!some) nAtoms = 0;
                }
              }
            }
            if (nAtoms) {
              const { at, end } = by as AtomCover;
              let x = ~c;
              for (let i = 0, start = 0; i < nAtoms; start = end[i++]!) {
                let y = 0;
                for (let q = start, e = end[i]!; q < e; q++) {
                  const j = at[q]!;
                  if (idAt[j] !== w) {
                    let v = 0;
                    for (let k = j ? idEnd[j - 1]! : 0, ke = idEnd[j]!; k < ke; k++) v |= idBuf[k]![w]!;
                    idWord[j] = v;
                    idAt[j] = w;
                  }
                  y |= idWord[j]!;
                }
                x &= y;
                if (!x) break;
              }
              c |= x;
            }
          }
          target[w]! |= m & ~c;
        }
      };
      if (allowed) {
        for (const g of allowed) judge(g, g);
      } else judge({ picks: u.everything, lo: 0, hi: u.everything.length }, { ports: ALL_PORTS, pid: u.portId(ALL_PORTS) });
    };
    // When every rule picks the same positions in both modes, so do the violating positions: the
    // second mode reuses the first's (modes are analysed one after the other per source).
    const modeFree = npInfo.invariant && alInfo.invariant;
    const prev = this.lastJudged;
    let last = modeFree && prev && prev.np === src.networkPolicy && prev.al === src.allowlist && prev.isolated === src.isolated ? prev : undefined;
    if (!last) {
      // The previous source's positions are done with: their bitset is reused.
      if (prev) u.bitsPool.give(prev.violating);
      this.lastJudged = undefined;
      const violating = u.bitsPool.take();
      judgeAll(violating);
      last = { np: src.networkPolicy, al: src.allowlist, isolated: src.isolated, violating, listed: new Map() };
      this.lastJudged = modeFree ? last : undefined;
    }
    const violating = last.violating;
    /**
     * Upstream mode, a template pod (unknown IP) at `pos` put in each address cell: a rule picks it
     * there when it picks `pos` (its selectors) or the cell (its ipBlocks), so every bitset is read
     * as "all cells" when it has `pos`, else as itself. Set bits at address positions are the cells
     * where the template would violate. Named ports resolve on pod positions only: callers use it
     * for groups without named ports or sources that use none.
     */
    const atTemplate = (pos: number): Bits => {
      const t = u.bitsPool.take();
      const all: Picks = { picks: u.everything, lo: 0, hi: u.everything.length };
      judgeAll(t, (c) => (picksAt(c, pos) ? all : c), u.podPositions >>> 5);
      return t;
    };
    const comps = {
      allowed,
      ownApprovals: () => (alInfo.member!.own ??= ownApprovals(appr.groups, member)),
      atTemplate,
    };
    const outcome = this.describe(u, src, mode, violating, comps, modeFree ? last.listed : undefined);
    if (this.lastJudged !== last) u.bitsPool.give(violating);
    outcomes.set(outcomeKey, outcome);
    return outcome;
  }

  /**
   * Forget what was derived from these lists of rules (components, merged groups, approvals and
   * their covers, shared outcomes): the caller is done with every source that uses them. Kept,
   * they would live to the end of the run, which costs memory and makes every young-generation
   * collection copy them.
   */
  release(lists: Iterable<readonly object[]>): void {
    const u = this.universe;
    for (const list of lists) {
      // Merged groups' arrays go back to the universe's pools (a single component's bitset is a
      // universe cache, never given back).
      for (const groups of this.lists.get(list)?.groups?.values() ?? []) {
        for (const g of groups) if (g.owned && u) (u.bitsPool.give(g.picks), u.wordsPool.give(new Int32Array(g.words.buffer)));
      }
      this.lists.delete(list);
    }
  }
  /** The universe of the sources analysed (one per analysis), whose pools `release` gives back to. */
  private universe?: Universe;

  /** An address cell's representative and its counterexample destination, per range of global cells: sources whose ipBlocks cut the same cell share them (read-only). */
  private readonly cellDestinations = new Map<number, { address: { family: Family; value: bigint }; destination: Counterexample['destination'] }>();
  private cellDestination(u: Universe, cell: { family: Family; from: number; to: number }) {
    const key = cell.from * (u.n + 1) + cell.to;
    let hit = this.cellDestinations.get(key);
    if (!hit) {
      const c = u.cellRange(cell);
      const rep = representative(c, this.ctx.podIps);
      this.cellDestinations.set(key, (hit = { address: { family: c.family, value: rep }, destination: { kind: 'ip', ip: formatIp(c.family, rep), range: formatRange(c) } }));
    }
    return hit;
  }

  /** Scratch buffers of `judge`: the approvals overlapping one component, as a whole and per id of its AtomCover (see there). */
  private readonly wholeBuf: Bits[] = [];
  private readonly idBuf: Bits[] = [];
  private readonly idEnd: number[] = [];
  private readonly idWord: number[] = [];
  private readonly idAt: number[] = [];

  /** The last source's violating positions, for its next mode when no rule tells the modes apart. */
  private lastJudged?: { np: readonly object[]; al: readonly object[]; isolated: boolean; violating: Bits; listed: Map<number, Counterexample[]> };

  /**
   * Counterexamples in the order and form of `analyseShape`, from the violating positions. `listed`:
   * counterexamples at known pods and address cells already described for the source's other mode,
   * by position (given when no rule tells the modes apart: they are the same there, but for `modes`).
   */
  private describe(u: Universe, src: SourceRules, mode: IpBlockMode, violating: Bits, comps: { allowed?: Group[]; ownApprovals: () => OwnApprovals; atTemplate: (pos: number) => Bits }, listed?: Map<number, Counterexample[]>): ShapeOutcome {
    const outcome: ShapeOutcome = { counterexamples: [], count: 0, localDoubts: [] };
    const ns = src.shape.namespace;
    /** Whether one of `picks[from..to)` has `pos`. */
    const picksAny = (picks: readonly Bits[], from: number, to: number, pos: number) => {
      for (let i = from; i < to; i++) if (test(picks[i]!, pos)) return true;
      return false;
    };
    /**
     * The unapproved ports at one position, from the components that pick it (= decide's answer
     * there); given `cell`, at a template pod at `pos` placed in that address cell (what picks
     * either position picks it).
     */
    const violationAt = (pos: number, cell?: number): PortSet => {
      let v: PortSet = ALL_PORTS;
      if (comps.allowed) {
        v = NO_PORTS;
        for (const g of comps.allowed) if (picksAt(g, pos) || (cell !== undefined && picksAt(g, cell))) v = union(v, g.ports);
      }
      const own = comps.ownApprovals();
      for (let g = 0, from = 0; g < own.ports.length; from = own.end[g++]!) {
        const to = own.end[g]!;
        if (!picksAny(own.picks, from, to, pos) && (cell === undefined || !picksAny(own.picks, from, to, cell))) continue;
        v = subtract(v, own.ports[g]!);
        if (isEmpty(v)) break;
      }
      return v;
    };
    /**
     * The selector peers that pick position `at`, asked one peer at a time (`decide` and `explain`
     * only ask about their rules' peers): no set of them is built per position, which with
     * hundreds of rules per source cost more than the questions asked.
     */
    const pickedAt = (at: number): DestView['picked'] => ({ has: (p: Peer) => p.kind === 'pods' && test(u.peerPicks(p, ns, mode), at) });
    const describeCx = (view: DestView, v: PortSet, destination: Counterexample['destination']): Counterexample => {
      const { p, text } = portsText(v);
      return { destination, protocol: p.protocol, port: p.port, ports: text, allowedBy: explain(src, view, mode, p.protocol, p.port), modes: [mode] };
    };
    const record = (view: DestView, v: PortSet, destination: Counterexample['destination']) => {
      outcome.counterexamples.push(describeCx(view, v, destination));
    };
    /** List up to `n` counterexamples at a known-pod or address position, from `listed` when the other mode described them. */
    const listAt = (pos: number, n: number, make: (i: number) => Counterexample) => {
      let done = listed?.get(pos);
      for (let i = 0; i < n && outcome.counterexamples.length < this.ctx.maxCx; i++) {
        const had = done?.[i];
        if (had) outcome.counterexamples.push({ ...had, modes: [mode] });
        else {
          const cx = make(i);
          outcome.counterexamples.push(cx);
          if (listed) {
            if (!done) listed.set(pos, (done = []));
            done[i] = cx;
          }
        }
      }
    };
    const violation = (view: DestView) => {
      const d = decide(src, view, mode);
      return subtract(d.allowed, d.approved);
    };
    const recordMany = <T>(view: DestView, items: readonly T[], describe: (t: T) => Counterexample['destination'], pos?: number, cell?: number) => {
      if (outcome.counterexamples.length < this.ctx.maxCx) {
        const v = pos === undefined ? violation(view) : violationAt(pos, cell);
        for (const t of items) {
          if (outcome.counterexamples.length >= this.ctx.maxCx) break;
          record(view, v, describe(t));
        }
      }
      outcome.count += items.length;
    };
    const ipMatters = src.ipBlocks.length > 0;
    const podBlocks = src.ipBlocks.some((b) => b.matchesPods);
    const addressBlind = !ipMatters || (mode === 'cilium' && !podBlocks);
    let podCells: IpRange[] | undefined;
    const sets = src.ipBlocks.map((b) => b.set);

    // Templates whose IP is unknown are decided cell by cell whatever the bitsets say (as analyseShape does).
    const sensitive = !addressBlind && this.hasTemplates;
    let visit = violating;
    if (sensitive) {
      visit = u.bitsPool.take();
      visit.set(violating);
      orInto(visit, u.templates);
    }
    const template = (gi: number, pos: number) => {
      const g = this.ctx.groups[gi] as DestGroup;
      const tpl = g.templates[0] as DestinationPod;
      const dest: Counterexample['destination'] = g.synthetic
        ? { kind: 'other-namespace-pod', description: g.synthetic }
        : { kind: 'pod', namespace: tpl.namespace, name: tpl.name, workload: tpl.workload };
      const describeTpl = (t: DestinationPod): Counterexample['destination'] => (g.synthetic ? dest : { kind: 'pod', namespace: t.namespace, name: t.name, workload: t.workload });
      if (addressBlind) {
        recordMany({ isPod: true, picked: pickedAt(pos), namedPorts: g.namedPorts }, g.templates, describeTpl, pos);
        return;
      }
      if (mode === 'upstream' && this.ctx.podRangesAll && (!src.usesNamedPorts || !g.namedPorts.length)) {
        // Every cell at once from the bitsets (the per-cell decisions below, without deciding each).
        const starts = u.localStartsOf(src.ipBlocks);
        const tv = comps.atTemplate(pos);
        let cellCount = 0;
        const bad: number[] = [];
        let badCount = 0;
        for (let at = nextSet(starts, u.podPositions); at >= 0; at = nextSet(starts, at + 1)) {
          cellCount++;
          if (test(tv, at) && ++badCount <= 4) bad.push(at);
        }
        u.bitsPool.give(tv);
        if (badCount === cellCount) {
          // Described in the first cell, from the bitsets (what `decide` says there); `explain` reads
          // only NetworkPolicy peers here, as for pods.
          const cell = u.localCellAt(starts, u.podPositions);
          const c = u.cellRange(cell);
          recordMany({ isPod: true, picked: pickedAt(pos), address: { family: c.family, value: representative(c) }, namedPorts: g.namedPorts }, g.templates, describeTpl, pos, cell.from);
        } else if (badCount) {
          const ranges = bad.slice(0, 3).map((at) => formatRange(u.cellRange(u.localCellAt(starts, at)))).join(', ');
          outcome.localDoubts.push(`egress to ${g.synthetic ?? `${tpl.namespace}/${tpl.name}`} is unapproved only if its IP is in ${ranges}${badCount > 3 ? ', ...' : ''}: its IP is unknown (analyse a live cluster or pass --pod-cidr)`);
        }
        return;
      }
      podCells ??= ipMatters && (mode === 'upstream' || podBlocks) ? cells(this.ctx.podRanges, sets) : [];
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
    // `u.order` lists pod positions in the groups' input order, buckets before templates: the
    // destinations in analyseShape's order.
    // Few of them (the usual case): only those, sorted; else walk every position in order.
    const order = u.podsInOrder(visit, 512) ?? u.order;
    /** Weight of the positions already counted one by one (to count the rest by popcount). */
    let counted = 0;
    for (let k = 0; k < order.length; k++) {
      const pos = order[k] as number;
      if (!test(visit, pos)) continue;
      if (outcome.counterexamples.length >= this.ctx.maxCx) {
        // Nothing more is listed: count the rest by popcount, and decide the remaining unknown-IP templates.
        outcome.count += u.podCount(violating, 0, sensitive) - counted;
        if (sensitive) {
          for (let j = k; j < order.length; j++) {
            const t = order[j] as number;
            if (test(u.templates, t)) template(u.groupAt[t] as number, t);
          }
        }
        break;
      }
      const gi = u.groupAt[pos] as number;
      const pods = u.podsAt[pos];
      if (!pods) {
        template(gi, pos);
        if (!sensitive) counted += u.weight[pos] as number;
        continue;
      }
      counted += pods.length;
      outcome.count += pods.length;
      const g = this.ctx.groups[gi] as DestGroup;
      let view: DestView | undefined;
      let v: PortSet | undefined;
      listAt(pos, pods.length, (i) => {
        const pod = pods[i] as DestinationPod;
        view ??= { isPod: true, picked: pickedAt(pos), address: addressBlind ? undefined : (pods[0]!.ips[0] as { family: Family; value: bigint }), namedPorts: g.namedPorts };
        const a = pod.ips[0] as { family: Family; value: bigint };
        return describeCx(view, (v ??= violationAt(pos)), { kind: 'pod', namespace: pod.namespace, name: pod.name, workload: pod.workload, ip: formatIp(a.family, a.value) });
      });
    }

    // Everything that is not a pod: the address space cut by the ipBlocks that matter here.
    // A local cell violates when its first global cell does; once enough are listed, the rest are counted by popcount.
    const starts = u.localStartsOf(src.ipBlocks);
    for (let at = nextSet(starts, u.podPositions); at >= 0; at = nextSet(starts, at + 1)) {
      if (outcome.counterexamples.length >= this.ctx.maxCx) {
        outcome.count += countAnd(starts, violating, at);
        break;
      }
      if (!test(violating, at)) continue;
      outcome.count++;
      // One counterexample per cell, written out rather than through `listAt`: a closure made per
      // cell here cost more than the counterexample itself (allocation, 90,000 cells at 5k pods).
      const cell = u.localCellAt(starts, at);
      const had = listed?.get(cell.from)?.[0];
      if (had) {
        outcome.counterexamples.push({ ...had, modes: [mode] });
        continue;
      }
      const d = this.cellDestination(u, cell);
      const cx = describeCx({ isPod: false, picked: NO_PEERS, address: d.address, namedPorts: NO_NAMED_PORTS }, violationAt(cell.from), d.destination);
      outcome.counterexamples.push(cx);
      listed?.set(cell.from, [cx]);
    }
    if (visit !== violating) u.bitsPool.give(visit);
    return outcome;
  }
}

/**
 * A violation's port to name and its text, per port set: the sets reaching here are mostly shared
 * objects (a rule's own ports, all ports: `subtract` and `union` return an operand unchanged when
 * nothing is taken or added), so each is formatted once.
 */
const portsTexts = new WeakMap<PortSet, { p: { protocol: Protocol; port: number }; text: string }>();
function portsText(v: PortSet): { p: { protocol: Protocol; port: number }; text: string } {
  let hit = portsTexts.get(v);
  if (!hit) portsTexts.set(v, (hit = { p: pick(v) as { protocol: Protocol; port: number }, text: formatPorts(v) }));
  return hit;
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
