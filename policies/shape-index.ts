/**
 * Which source shapes (namespace + labels) each policy's podSelector and each allowlist rule's
 * `from` select, evaluated once per selector over all shapes with a label index (bitsets over
 * shapes), instead of matching every policy and rule against every shape.
 */
import { and, bits, full, orInto, set, test, type Bits } from './bits.ts';
import type { AdminPolicyInfo, AllowlistRule, ClusterModel, NetworkPolicyInfo } from './model.ts';
import { formatSelector, matches, type LabelSelector, type Labels } from './selectors.ts';

export interface ShapeSelection {
  admin: AdminPolicyInfo[];
  np: NetworkPolicyInfo[];
  rules: AllowlistRule[];
  /** Identifies the three lists (indices into the model's and the allowlist's lists). */
  key: string;
}

export class ShapeIndex {
  private readonly n: number;
  private readonly all: Bits;
  private readonly empty: Bits;
  private readonly labelIdx = new Map<string, Bits>();
  private readonly keyIdx = new Map<string, Bits>();
  private readonly nsIdx = new Map<string, Bits>();
  private readonly nsLabels = new Map<string, Labels>();
  private readonly cache = new Map<string, Bits>();
  private readonly np: { p: NetworkPolicyInfo; i: number; at: Bits }[];
  private readonly admin: { p: AdminPolicyInfo; at: Bits }[];
  private readonly rules: { r: AllowlistRule; at: Bits }[];

  private readonly shapes: readonly { namespace: string; labels: Labels }[];

  constructor(shapes: readonly { namespace: string; labels: Labels }[], model: ClusterModel, allowlist: readonly AllowlistRule[]) {
    this.shapes = shapes;
    const n = (this.n = shapes.length);
    this.all = full(n);
    this.empty = bits(n);
    const get = (m: Map<string, Bits>, k: string) => {
      let b = m.get(k);
      if (!b) m.set(k, (b = bits(n)));
      return b;
    };
    shapes.forEach((s, i) => {
      for (const k in s.labels) {
        set(get(this.labelIdx, `${k}\u0000${s.labels[k]}`), i);
        set(get(this.keyIdx, k), i);
      }
      set(get(this.nsIdx, s.namespace), i);
      if (!this.nsLabels.has(s.namespace)) this.nsLabels.set(s.namespace, model.namespaces.get(s.namespace)?.labels ?? { 'kubernetes.io/metadata.name': s.namespace });
    });
    this.np = model.networkPolicies.map((p, i) => ({ p, i, at: p.isolatesEgress ? and(this.nsIdx.get(p.namespace) ?? this.empty, this.select(p.podSelector)) : this.empty }));
    this.admin = model.adminPolicies.map((p) => ({ p, at: and(this.namespaces(p.subject.namespaces), this.select(p.subject.pods)) }));
    this.rules = allowlist.map((r) => {
      let at = r.from.namespaces ? this.namespaces(r.from.namespaces) : this.all;
      if (r.from.pods) at = and(at, this.select(r.from.pods));
      return { r, at };
    });
  }

  /** The policies and rules selecting shape `i`, in their input order. */
  selection(i: number): ShapeSelection {
    this.byShape ??= this.transpose();
    return this.byShape[i] as ShapeSelection;
  }

  private byShape?: ShapeSelection[];

  /** Per shape, from each policy's and rule's set of shapes (one pass over set bits, not shapes x rules). */
  private transpose(): ShapeSelection[] {
    const out: ShapeSelection[] = this.shapes.map(() => ({ admin: [], np: [], rules: [], key: '' }));
    const ids: number[][] = this.shapes.map(() => []);
    const each = (at: Bits, f: (i: number) => void) => {
      for (let w = 0; w < at.length; w++) for (let x = at[w]!; x; x &= x - 1) f((w << 5) + (31 - Math.clz32(x & -x)));
    };
    this.admin.forEach((e, k) => each(e.at, (i) => (out[i]!.admin.push(e.p), ids[i]!.push(k))));
    for (const list of ids) list.push(-1);
    for (const e of this.np) each(e.at, (i) => (out[i]!.np.push(e.p), ids[i]!.push(e.i)));
    for (const list of ids) list.push(-1);
    this.rules.forEach((e, k) => each(e.at, (i) => (out[i]!.rules.push(e.r), ids[i]!.push(k))));
    // Shapes of one namespace selected by the same policies (or rules) share one list: what the
    // engine derives per list (components, approvals) is then derived once per distinct list.
    const lists = new Map<string, unknown[]>();
    const intern = <T>(ns: string, part: string, list: T[]): T[] => {
      const k = `${ns}\u0000${part}`;
      const hit = lists.get(k);
      if (hit) return hit as T[];
      lists.set(k, list);
      return list;
    };
    out.forEach((o, i) => {
      const list = ids[i]!;
      o.key = list.join(',');
      const a = list.indexOf(-1), b = list.indexOf(-1, a + 1);
      const ns = this.shapes[i]!.namespace;
      o.np = intern(ns, `np:${list.slice(a + 1, b).join(',')}`, o.np);
      o.rules = intern(ns, `rules:${list.slice(b + 1).join(',')}`, o.rules);
    });
    return out;
  }

  private namespaces(sel: LabelSelector): Bits {
    const key = `ns:${formatSelector(sel)}`;
    let b = this.cache.get(key);
    if (!b) {
      b = bits(this.n);
      for (const [name, labels] of this.nsLabels) if (matches(sel, labels)) orInto(b, this.nsIdx.get(name)!);
      this.cache.set(key, b);
    }
    return b;
  }

  /** Shapes a label selector picks (the same semantics as `matches`). */
  private select(sel: LabelSelector): Bits {
    const key = formatSelector(sel);
    let b = this.cache.get(key);
    if (b) return b;
    b = this.all;
    const idx = (k: string, v: string) => this.labelIdx.get(`${k}\u0000${v}`) ?? this.empty;
    for (const k in sel.matchLabels ?? {}) b = and(b, idx(k, sel.matchLabels![k]!));
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
    this.cache.set(key, b);
    return b;
  }
}
