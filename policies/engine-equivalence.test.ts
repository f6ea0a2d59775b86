/**
 * The bitset engine against the per-destination reference, on seeded irregular clusters (random
 * selectors, CIDRs with excepts, named ports, bare pods and one-replica workloads, pods with and
 * without IPs, ipBlocks over the pod network): verdicts, counts and counterexamples must be identical.
 */
import { describe, expect, it } from 'vitest';
import { generateIrregular } from '../bench/policies-gen-irregular.ts';
import { parseAllowlist } from './allowlist.ts';
import { Analysis, type AnalyzeOptions } from './analyze.ts';
import { buildModel } from './inputs.ts';
import { parseCidr } from './ipset.ts';
import { parseManifestText } from './sources.ts';

const cases: { name: string; gen: Parameters<typeof generateIrregular>[0]; opts: AnalyzeOptions }[] = [];
for (let seed = 1; seed <= 6; seed++) {
  cases.push({ name: `live pods, seed ${seed}`, gen: { pods: 80, policies: 60, rules: 30, namespaces: 6, seed }, opts: { mode: 'unknown' } });
  cases.push({ name: `ipBlocks over pod IPs, seed ${seed}`, gen: { pods: 80, policies: 60, rules: 30, namespaces: 6, seed, podBlocks: true }, opts: { mode: 'unknown' } });
}
for (let seed = 1; seed <= 3; seed++) {
  cases.push({ name: `templates (no pod IPs), other namespaces, seed ${seed}`, gen: { pods: 40, policies: 40, rules: 20, namespaces: 4, seed, noPodIps: true, podBlocks: true }, opts: { mode: 'unknown', otherNamespaces: true } });
  cases.push({ name: `templates with --pod-cidr, upstream, seed ${seed}`, gen: { pods: 40, policies: 40, rules: 20, namespaces: 4, seed, noPodIps: true, podBlocks: true }, opts: { mode: 'upstream', podCidrs: [parseCidr('10.244.0.0/16')!] } });
  cases.push({ name: `cilium only, few counterexamples listed, seed ${seed}`, gen: { pods: 60, policies: 50, rules: 25, namespaces: 5, seed, podBlocks: true }, opts: { mode: 'cilium', maxCounterexamples: 3 } });
}

describe('bitset engine = per-destination engine', () => {
  it.each(cases)('$name', ({ gen, opts }) => {
    const g = generateIrregular(gen);
    const model = buildModel(parseManifestText(JSON.stringify(g.cluster), 'cluster.json'));
    const allowlist = parseAllowlist(JSON.stringify(g.allowlist), 'allowlist.json');
    const fast = new Analysis(model, allowlist, { ...opts, engine: 'bitset', maxCounterexamples: opts.maxCounterexamples ?? 50 }).run();
    const reference = new Analysis(model, allowlist, { ...opts, engine: 'per-destination', maxCounterexamples: opts.maxCounterexamples ?? 50 }).run();
    expect(fast.length).toBeGreaterThan(0);
    for (let i = 0; i < reference.length; i++) expect(JSON.parse(JSON.stringify(fast[i])), `${reference[i]!.namespace}/${reference[i]!.name}`).toEqual(JSON.parse(JSON.stringify(reference[i])));
    // The generated clusters are not trivial: counterexamples are found.
    expect(reference.some((w) => w.counterexampleCount > 0)).toBe(true);
  });
});
