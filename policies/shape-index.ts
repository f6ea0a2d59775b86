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

  /**
   * Per shape, from each policy's and rule's set of shapes (one pass over set bits, not shapes x
   * rules). Allowlist rules are gathered as a bitmask per shape (a shape is selected by half of
   * them, often): its words name the shape's list, and a list's array is built once per distinct list.
   */
  private transpose(): ShapeSelection[] {
    const n = this.shapes.length;
    const each = (at: Bits, f: (i: number) => void) => {
      for (let w = 0; w < at.length; w++) for (let x = at[w]!; x; x &= x - 1) f((w << 5) + (31 - Math.clz32(x & -x)));
    };
    const adminIds: number[][] = Array.from({ length: n }, () => []);
    const admin: AdminPolicyInfo[][] = Array.from({ length: n }, () => []);
    this.admin.forEach((e, k) => each(e.at, (i) => (admin[i]!.push(e.p), adminIds[i]!.push(k))));
    const npIds: number[][] = Array.from({ length: n }, () => []);
    for (const e of this.np) each(e.at, (i) => npIds[i]!.push(e.i));
    const rw = (this.rules.length + 31) >>> 5;
    const mask = new Uint32Array(n * rw);
    this.rules.forEach((e, k) => each(e.at, (i) => (mask[i * rw + (k >>> 5)]! |= 1 << (k & 31))));
    // Shapes of one namespace selected by the same policies (or rules) share one list: what the
    // engine derives per list (components, approvals) is then derived once per distinct list.
    const npLists = new Map<string, NetworkPolicyInfo[]>();
    const ruleLists = new Map<string, AllowlistRule[]>();
    const policies = this.np;
    const out: ShapeSelection[] = [];
    for (let i = 0; i < n; i++) {
      const ns = this.shapes[i]!.namespace;
      const ids = npIds[i]!;
      const npKey = ids.join(',');
      const npK = `${ns}\u0000${npKey}`;
      let np = npLists.get(npK);
      if (!np) npLists.set(npK, (np = ids.map((id) => policies[id]!.p)));
      let rulesKey = '';
      for (let w = 0; w < rw; w++) rulesKey += `${w ? ',' : ''}${mask[i * rw + w]}`;
      const rulesK = `${ns}\u0000${rulesKey}`;
      let rules = ruleLists.get(rulesK);
      if (!rules) {
        rules = [];
        for (let w = 0; w < rw; w++) for (let x = mask[i * rw + w]!; x; x &= x - 1) rules.push(this.rules[(w << 5) + (31 - Math.clz32(x & -x))]!.r);
        ruleLists.set(rulesK, rules);
      }
      out.push({ admin: admin[i]!, np, rules, key: `${adminIds[i]!.join(',')}|${npKey}|${rulesKey}` });
    }
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
