/**
 * The bitset engine: for one source's rules (no admin tiers), every rule is a set of components
 * (port set x destinations picked, as bits over the Universe), judged word by word against the
 * allowlist's components; only violating positions are then described, in the per-destination
 * engine's order and form (analyze.ts `analyseShape`, the reference it is tested equal to).
 */
import { bits, nextSet, orInto, test, type Bits } from './bits.ts';
import { cells, formatIp, formatRange, representative, type Family, type IpRange } from './ipset.ts';
import type { DestinationPod, IpBlockMode, Peer } from './model.ts';
import { ALL_PORTS, formatPorts, has, intersect, isEmpty, NO_PORTS, pick, PROTOCOLS, subtract, union, type PortSet, type Protocol } from './ports.ts';
import { decide, explain, type DestView, type SourceRules } from './engine.ts';
import type { Component, Universe } from './universe.ts';
import type { Counterexample, DestGroup, ShapeOutcome } from './analyze.ts';

/** What the engine reads from the analysis: destination groups and counterexample options. */
export interface BitsetContext {
  groups: readonly DestGroup[];
  maxCx: number;
  podRanges: IpRange[];
  /** Whether pod IPs may be anywhere (no --pod-cidr): the pod cells are the address cells. */
  podRangesAll: boolean;
  podIps: ReadonlySet<string>;
}

export class BitsetEngine {
  private readonly ctx: BitsetContext;
  private readonly hasTemplates: boolean;
  /** Port-set relations by interned ids: 0 disjoint, 1 overlapping, 2 the first contains the second. */
  private readonly relations: number[][] = [];
  /** Outcomes shared by every source shape with the same namespace and rules. */
  private readonly byRules = new Map<string, ShapeOutcome>();
  /** For (allowed port set, partial approval port sets): per atom of the former, which of the latter cover it; null when they cannot cover it all. */
  private readonly atomsByPorts = new Map<string, number[][] | null>();
  private readonly approvals = new Map<string, { groups: Component[][]; covers: Map<number, { whole: Bits[]; atoms?: Bits[][] }>; byPid?: Map<number, Component[]>; merged?: Map<number, Bits> }>();

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

  analyse(u: Universe, src: SourceRules, mode: IpBlockMode, invariant: boolean): ShapeOutcome {
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
    /**
     * Add to `target` the positions (from word `from` on) where some allowed component's ports are
     * not all approved. `virt` reads every bitset through a view (a template pod placed in an
     * address cell, see `atTemplate`).
     */
    const judgeAll = (target: Bits, virt?: (b: Bits) => Bits, from = 0) => {
      const judge = (picks: Bits, p: { ports: PortSet; pid: number }) => {
        const cov = coverOf(p);
        const whole = virt ? cov.whole.map(virt) : cov.whole;
        const atoms = virt && cov.atoms ? cov.atoms.map((by) => by.map(virt)) : cov.atoms;
        const pk = virt ? virt(picks) : picks;
        for (let w = from; w < target.length; w++) {
          const m = pk[w]! & ~target[w]!;
          if (!m) continue;
          let c = 0;
          for (let k = 0; k < whole.length && m & ~c; k++) c |= whole[k]![w]!;
          if (atoms && m & ~c) {
            let x = ~c;
            for (const by of atoms) {
              let y = 0;
              for (const b of by) y |= b[w]!;
              x &= y;
              if (!x) break;
            }
            c |= x;
          }
          target[w]! |= m & ~c;
        }
      };
      if (src.isolated) {
        for (const r of src.networkPolicy) for (const c of u.components(r, ns, mode)) judge(c.picks, c);
      } else judge(u.everything, { ports: ALL_PORTS, pid: u.portId(ALL_PORTS) });
    };
    const violating = bits(u.n);
    judgeAll(violating);
    /**
     * Upstream mode, a template pod (unknown IP) at `pos` put in each address cell: a rule picks it
     * there when it picks `pos` (its selectors) or the cell (its ipBlocks), so every bitset is read
     * as "all cells" when it has `pos`, else as itself. Set bits at address positions are the cells
     * where the template would violate. Named ports resolve on pod positions only: callers use it
     * for groups without named ports or sources that use none.
     */
    const atTemplate = (pos: number): Bits => {
      const t = bits(u.n);
      judgeAll(t, (b) => (test(b, pos) ? u.everything : b), u.podPositions >>> 5);
      return t;
    };
    const comps = {
      allowed: src.isolated ? src.networkPolicy.flatMap((r) => u.components(r, ns, mode)) : undefined,
      approved: groups.flat(),
      atTemplate,
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
  private describe(u: Universe, src: SourceRules, mode: IpBlockMode, violating: Bits, comps: { allowed?: Component[]; approved: Component[]; atTemplate: (pos: number) => Bits }): ShapeOutcome {
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
      if (outcome.counterexamples.length < this.ctx.maxCx) {
        const v = pos === undefined ? violation(view) : violationAt(pos);
        for (const t of items) {
          if (outcome.counterexamples.length >= this.ctx.maxCx) break;
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
    let localCells: ReturnType<Universe['localCells']> | undefined;
    const sets = src.ipBlocks.map((b) => b.set);

    // Templates whose IP is unknown are decided cell by cell whatever the bitsets say (as analyseShape does).
    const sensitive = !addressBlind && this.hasTemplates;
    const visit = violating.slice();
    if (sensitive) orInto(visit, u.templates);
    const template = (gi: number, pos: number) => {
      const g = this.ctx.groups[gi] as DestGroup;
      const tpl = g.templates[0] as DestinationPod;
      const dest: Counterexample['destination'] = g.synthetic
        ? { kind: 'other-namespace-pod', description: g.synthetic }
        : { kind: 'pod', namespace: tpl.namespace, name: tpl.name, workload: tpl.workload };
      const describeTpl = (t: DestinationPod): Counterexample['destination'] => (g.synthetic ? dest : { kind: 'pod', namespace: t.namespace, name: t.name, workload: t.workload });
      if (addressBlind) {
        recordMany({ isPod: true, picked: npPickedAt(pos), namedPorts: g.namedPorts }, g.templates, describeTpl, pos);
        return;
      }
      if (mode === 'upstream' && this.ctx.podRangesAll && (!src.usesNamedPorts || !g.namedPorts.length)) {
        // Every cell at once from the bitsets (the per-cell decisions below, without deciding each).
        const local = (localCells ??= u.localCells(sets));
        const tv = comps.atTemplate(pos);
        const bad = local.filter((c) => test(tv, c.from));
        if (bad.length === local.length) {
          const c = u.cellRange(local[0]!);
          recordMany({ isPod: true, picked: pickedAt(pos), address: { family: c.family, value: representative(c) }, namedPorts: g.namedPorts }, g.templates, describeTpl);
        } else if (bad.length) {
          const ranges = bad.slice(0, 3).map((c) => formatRange(u.cellRange(c))).join(', ');
          outcome.localDoubts.push(`egress to ${g.synthetic ?? `${tpl.namespace}/${tpl.name}`} is unapproved only if its IP is in ${ranges}${bad.length > 3 ? ', ...' : ''}: its IP is unknown (analyse a live cluster or pass --pod-cidr)`);
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
    // Positions are laid out in group order, buckets before templates: set bits in order are the
    // destinations in analyseShape's order.
    for (let pos = nextSet(visit, 0); pos >= 0 && pos < u.podPositions; pos = nextSet(visit, pos + 1)) {
      if (outcome.counterexamples.length >= this.ctx.maxCx) {
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
      const g = this.ctx.groups[gi] as DestGroup;
      const ip = pods[0]!.ips[0] as { family: Family; value: bigint };
      const view: DestView = { isPod: true, picked: npPickedAt(pos), address: addressBlind ? undefined : ip, namedPorts: g.namedPorts };
      recordMany(view, pods, (pod) => {
        const a = pod.ips[0] as { family: Family; value: bigint };
        return { kind: 'pod', namespace: pod.namespace, name: pod.name, workload: pod.workload, ip: formatIp(a.family, a.value) };
      }, pos);
    }

    // Everything that is not a pod: the address space cut by the ipBlocks that matter here.
    for (const cell of (localCells ??= u.localCells(sets))) {
      if (!test(violating, cell.from)) continue;
      outcome.count++;
      if (outcome.counterexamples.length >= this.ctx.maxCx) continue;
      const c = u.cellRange(cell);
      const rep = representative(c, this.ctx.podIps);
      const view: DestView = { isPod: false, picked: new Set(), address: { family: c.family, value: rep }, namedPorts: [] };
      record(view, violationAt(cell.from), { kind: 'ip', ip: formatIp(c.family, rep), range: formatRange(c) });
    }
    return outcome;
  }
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
