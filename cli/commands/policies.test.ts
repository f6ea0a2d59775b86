import { describe, expect, it } from 'vitest';
import { probeNamespaces } from './policies.ts';

describe('policies probe namespaces from the flags', () => {
  it('takes -n repeated, --namespaces and comma lists, each name once', () => {
    // yargs gives a repeated -n as an array: `-n a -n b` probed nothing before (2026-12-02).
    expect(probeNamespaces({ namespace: ['kr-a', 'kr-b'] as unknown as string })).toEqual(['kr-a', 'kr-b']);
    expect(probeNamespaces({ namespace: 'shop' })).toEqual(['shop']);
    expect(probeNamespaces({ namespaces: ['a,b', 'c'], namespace: 'a' })).toEqual(['a', 'b', 'c']);
    expect(probeNamespaces({})).toEqual([]);
  });
});
