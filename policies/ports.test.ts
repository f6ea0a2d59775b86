import { describe, expect, it } from 'vitest';
import { rng } from '../core/random.ts';
import { ALL_PORTS, has, intersect, NO_PORTS, PROTOCOLS, subtract, union, type PortSet, type Protocol } from './ports.ts';

/** A random port set over ports 1..60 (small, so every port can be checked one by one). */
function randomSet(next: () => number): PortSet {
  const s: Record<Protocol, number[]> = { TCP: [], UDP: [], SCTP: [] };
  for (const p of PROTOCOLS) {
    let at = 1 + Math.floor(next() * 6);
    while (at <= 60 && next() < 0.8) {
      const hi = Math.min(60, at + Math.floor(next() * 8));
      s[p].push(at, hi);
      at = hi + 2 + Math.floor(next() * 6);
    }
  }
  return s;
}

const PORTS = Array.from({ length: 62 }, (_, i) => i); // 0..61: both ends of the generated range and past them

describe('port-set algebra', () => {
  it('union, subtract and intersect agree with port-by-port membership on random sets', () => {
    const next = rng(14);
    for (let k = 0; k < 400; k++) {
      const a = randomSet(next), b = randomSet(next);
      const u = union(a, b), d = subtract(a, b), i = intersect(a, b);
      for (const p of PROTOCOLS) {
        for (const port of PORTS) {
          const inA = has(a, p, port), inB = has(b, p, port);
          expect(has(u, p, port), `union ${p} ${port}`).toBe(inA || inB);
          expect(has(d, p, port), `subtract ${p} ${port}`).toBe(inA && !inB);
          expect(has(i, p, port), `intersect ${p} ${port}`).toBe(inA && inB);
        }
      }
    }
  });

  it('subtracting a disjoint set or adding nothing gives back an equal set', () => {
    const tcp80: PortSet = { ...NO_PORTS, TCP: [80, 80] };
    const udp53: PortSet = { ...NO_PORTS, UDP: [53, 53] };
    expect(subtract(tcp80, udp53)).toEqual(tcp80);
    expect(union(tcp80, NO_PORTS)).toEqual(tcp80);
    expect(subtract(ALL_PORTS, tcp80).TCP).toEqual([1, 79, 81, 65535]);
  });
});
