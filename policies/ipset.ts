/**
 * IP addresses as bigints and CIDR blocks as closed intervals, IPv4 and IPv6 kept apart.
 * ipBlock semantics are interval arithmetic: cidr minus every except.
 */
export type Family = 4 | 6;

export interface IpRange {
  family: Family;
  lo: bigint;
  hi: bigint;
}

export interface Cidr extends IpRange {
  /** As written, e.g. `10.0.0.1/8`. */
  text: string;
  prefix: number;
  /** True when bits below the prefix were set (Kubernetes masks them; the linter warns). */
  hostBits: boolean;
}

const V4_MAX = (1n << 32n) - 1n;
const V6_MAX = (1n << 128n) - 1n;

export function familyMax(f: Family): bigint {
  return f === 4 ? V4_MAX : V6_MAX;
}

export function parseIp(text: string): { family: Family; value: bigint } | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    let v = 0n;
    for (const part of text.split('.')) {
      const n = Number(part);
      if (n > 255 || (part.length > 1 && part.startsWith('0'))) return undefined;
      v = (v << 8n) | BigInt(n);
    }
    return { family: 4, value: v };
  }
  if (!text.includes(':')) return undefined;
  return parseIpv6(text);
}

function parseIpv6(text: string): { family: Family; value: bigint } | undefined {
  let s = text;
  // An embedded IPv4 tail (::ffff:1.2.3.4) is two hex groups.
  const v4 = /:(\d{1,3}(\.\d{1,3}){3})$/.exec(s);
  if (v4) {
    const p = parseIp(v4[1] as string);
    if (!p || p.family !== 4) return undefined;
    s = s.slice(0, v4.index + 1) + (p.value >> 16n).toString(16) + ':' + (p.value & 0xffffn).toString(16);
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string | undefined): bigint[] | undefined => {
    if (!h) return [];
    const out: bigint[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(BigInt('0x' + g));
    }
    return out;
  };
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  if (!head || !rest) return undefined;
  const groups = head.length + rest.length;
  if (halves.length === 1 ? groups !== 8 : groups > 7) return undefined;
  let v = 0n;
  for (const g of [...head, ...Array<bigint>(8 - groups).fill(0n), ...rest]) v = (v << 16n) | g;
  return { family: 6, value: v };
}

export function parseCidr(text: string): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  const ip = parseIp(m[1] as string);
  const prefix = Number(m[2]);
  if (!ip) return undefined;
  const bits = ip.family === 4 ? 32 : 128;
  if (prefix > bits) return undefined;
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  const lo = ip.value & ~hostMask & familyMax(ip.family);
  return { family: ip.family, lo, hi: lo | hostMask, text, prefix, hostBits: (ip.value & hostMask) !== 0n };
}

export function formatIp(family: Family, v: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((v >> BigInt(i * 16)) & 0xffffn).toString(16));
  // Compress the longest run of zero groups, as RFC 5952 asks.
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return groups.slice(0, best).join(':') + '::' + groups.slice(best + bestLen).join(':');
}

/** The smallest CIDR-ish text for a range: exact CIDR when it is one, else `lo-hi`. */
export function formatRange(r: IpRange): string {
  const size = r.hi - r.lo + 1n;
  const bits = r.family === 4 ? 32 : 128;
  if ((size & (size - 1n)) === 0n && (r.lo & (size - 1n)) === 0n) {
    return `${formatIp(r.family, r.lo)}/${bits - (size.toString(2).length - 1)}`;
  }
  return `${formatIp(r.family, r.lo)}-${formatIp(r.family, r.hi)}`;
}

/** A set of addresses: sorted, disjoint, non-adjacent ranges per family. */
export interface IpSet {
  ranges: IpRange[];
}

export function ipBlockSet(cidr: Cidr, except: readonly Cidr[]): IpSet {
  let ranges: IpRange[] = [{ family: cidr.family, lo: cidr.lo, hi: cidr.hi }];
  for (const e of except) ranges = subtractRange(ranges, e);
  return { ranges };
}

function subtractRange(ranges: IpRange[], cut: IpRange): IpRange[] {
  const out: IpRange[] = [];
  for (const r of ranges) {
    if (r.family !== cut.family || cut.hi < r.lo || cut.lo > r.hi) { out.push(r); continue; }
    if (cut.lo > r.lo) out.push({ family: r.family, lo: r.lo, hi: cut.lo - 1n });
    if (cut.hi < r.hi) out.push({ family: r.family, lo: cut.hi + 1n, hi: r.hi });
  }
  return out;
}

export function ipSetHas(set: IpSet, family: Family, v: bigint): boolean {
  for (const r of set.ranges) if (r.family === family && r.lo <= v && v <= r.hi) return true;
  return false;
}

/**
 * Cut `within` into cells on which every given set is either wholly in or wholly out.
 * Returns one range per cell; membership is then tested at any point of the cell.
 */
export function cells(within: readonly IpRange[], sets: readonly IpSet[]): IpRange[] {
  const out: IpRange[] = [];
  for (const w of within) {
    const cuts = new Set<bigint>();
    for (const s of sets) {
      for (const r of s.ranges) {
        if (r.family !== w.family) continue;
        if (r.lo > w.lo && r.lo <= w.hi) cuts.add(r.lo);
        if (r.hi >= w.lo && r.hi < w.hi) cuts.add(r.hi + 1n);
      }
    }
    const points = [...cuts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let lo = w.lo;
    for (const p of points) {
      out.push({ family: w.family, lo, hi: p - 1n });
      lo = p;
    }
    out.push({ family: w.family, lo, hi: w.hi });
  }
  return out;
}

export const ALL_V4: IpRange = { family: 4, lo: 0n, hi: V4_MAX };
export const ALL_V6: IpRange = { family: 6, lo: 0n, hi: V6_MAX };

/** Documentation addresses (RFC 5737, RFC 3849): readable, and never someone's real host. */
const NICE: Record<Family, bigint[]> = {
  4: ['203.0.113.10', '198.51.100.10', '192.0.2.10'].map((t) => (parseIp(t) as { value: bigint }).value),
  6: [(parseIp('2001:db8::10') as { value: bigint }).value],
};

/** A representative address of a cell that reads well, avoiding given addresses (`family:value`). */
export function representative(r: IpRange, avoid: ReadonlySet<string> = new Set()): bigint {
  for (const v of NICE[r.family]) if (r.lo <= v && v <= r.hi && !avoid.has(`${r.family}:${v}`)) return v;
  let v = r.lo;
  if (r.hi > r.lo && (v & 255n) === 0n) v += 1n;
  for (let i = 0; i < 16 && v < r.hi && avoid.has(`${r.family}:${v}`); i++) v += 1n;
  return v;
}
