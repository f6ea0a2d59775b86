/**
 * Port sets per protocol as sorted, disjoint, inclusive intervals over 1..65535.
 * NetworkPolicy only speaks TCP, UDP and SCTP; a rule without ports covers all three, every port.
 */
export const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const MIN_PORT = 1;
export const MAX_PORT = 65535;

/** Flat list [lo0, hi0, lo1, hi1, ...]; sorted, disjoint, non-adjacent. */
export type Ranges = readonly number[];

export interface PortSet {
  TCP: Ranges;
  UDP: Ranges;
  SCTP: Ranges;
}

export const NO_PORTS: PortSet = { TCP: [], UDP: [], SCTP: [] };
export const ALL_PORTS: PortSet = { TCP: [MIN_PORT, MAX_PORT], UDP: [MIN_PORT, MAX_PORT], SCTP: [MIN_PORT, MAX_PORT] };

export function portRange(protocol: Protocol, lo: number, hi: number): PortSet {
  return { ...NO_PORTS, [protocol]: [lo, hi] };
}

function unionRanges(a: Ranges, b: Ranges): Ranges {
  if (!a.length) return b;
  if (!b.length) return a;
  const pairs: [number, number][] = [];
  for (let i = 0; i < a.length; i += 2) pairs.push([a[i] as number, a[i + 1] as number]);
  for (let i = 0; i < b.length; i += 2) pairs.push([b[i] as number, b[i + 1] as number]);
  pairs.sort((x, y) => x[0] - y[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    const last = out.length - 1;
    if (last > 0 && lo <= (out[last] as number) + 1) out[last] = Math.max(out[last] as number, hi);
    else out.push(lo, hi);
  }
  return out;
}

function subtractRanges(a: Ranges, b: Ranges): Ranges {
  if (!a.length || !b.length || !overlaps(a, b)) return a;
  const out: number[] = [];
  for (let i = 0; i < a.length; i += 2) {
    let lo = a[i] as number;
    const hi = a[i + 1] as number;
    for (let j = 0; j < b.length && lo <= hi; j += 2) {
      const blo = b[j] as number, bhi = b[j + 1] as number;
      if (bhi < lo || blo > hi) continue;
      if (blo > lo) out.push(lo, blo - 1);
      lo = bhi + 1;
    }
    if (lo <= hi) out.push(lo, hi);
  }
  return out;
}

/** Whether two range lists share a port (both sorted: one merge-like pass). */
function overlaps(a: Ranges, b: Ranges): boolean {
  let i = 0, j = 0;
  while (i < a.length && j < b.length) {
    if ((a[i + 1] as number) < (b[j] as number)) i += 2;
    else if ((b[j + 1] as number) < (a[i] as number)) j += 2;
    else return true;
  }
  return false;
}

function intersectRanges(a: Ranges, b: Ranges): Ranges {
  return subtractRanges(a, subtractRanges(a, b));
}

/** Every port of `a` or `b`; `a` (or `b`) itself when the other has no ports in any protocol where it has some (no new set). */
export function union(a: PortSet, b: PortSet): PortSet {
  const TCP = unionRanges(a.TCP, b.TCP), UDP = unionRanges(a.UDP, b.UDP), SCTP = unionRanges(a.SCTP, b.SCTP);
  if (TCP === a.TCP && UDP === a.UDP && SCTP === a.SCTP) return a;
  if (TCP === b.TCP && UDP === b.UDP && SCTP === b.SCTP) return b;
  return { TCP, UDP, SCTP };
}

/** `a` without `b`; `a` itself when they share no port (no new set: the analysis subtracts a great deal). */
export function subtract(a: PortSet, b: PortSet): PortSet {
  const TCP = subtractRanges(a.TCP, b.TCP), UDP = subtractRanges(a.UDP, b.UDP), SCTP = subtractRanges(a.SCTP, b.SCTP);
  return TCP === a.TCP && UDP === a.UDP && SCTP === a.SCTP ? a : { TCP, UDP, SCTP };
}

export function intersect(a: PortSet, b: PortSet): PortSet {
  return { TCP: intersectRanges(a.TCP, b.TCP), UDP: intersectRanges(a.UDP, b.UDP), SCTP: intersectRanges(a.SCTP, b.SCTP) };
}

export function isEmpty(s: PortSet): boolean {
  return !s.TCP.length && !s.UDP.length && !s.SCTP.length;
}

export function has(s: PortSet, protocol: Protocol, port: number): boolean {
  const r = s[protocol];
  for (let i = 0; i < r.length; i += 2) if ((r[i] as number) <= port && port <= (r[i + 1] as number)) return true;
  return false;
}

/** Ports a person would try first, so counterexamples read naturally. */
const FAVOURITES = [443, 80, 53, 8080, 22];

/** One concrete (protocol, port) in the set, or undefined when empty. */
export function pick(s: PortSet): { protocol: Protocol; port: number } | undefined {
  for (const protocol of PROTOCOLS) {
    const r = s[protocol];
    if (!r.length) continue;
    for (const f of FAVOURITES) if (has(s, protocol, f)) return { protocol, port: f };
    return { protocol, port: r[0] as number };
  }
  return undefined;
}

/** `TCP 1-79,81-65535; UDP 53` */
export function formatPorts(s: PortSet): string {
  const parts: string[] = [];
  for (const p of PROTOCOLS) {
    const r = s[p];
    if (!r.length) continue;
    const items: string[] = [];
    for (let i = 0; i < r.length; i += 2) items.push(r[i] === r[i + 1] ? String(r[i]) : `${r[i]}-${r[i + 1]}`);
    parts.push(`${p} ${items.join(',')}`);
  }
  return parts.join('; ') || 'none';
}
