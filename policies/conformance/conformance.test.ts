/**
 * The conformance table: every case names the semantic point it pins, gives objects and allowlist
 * rules, and expects a verdict per workload (and, where it matters, a counterexample present or absent).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { InputError } from '../../core/errors.ts';
import { parseAllowlist } from '../allowlist.ts';
import { analyseModel } from '../check.ts';
import { buildModel } from '../inputs.ts';
import { parseCidr } from '../ipset.ts';
import type { IpBlockModeOption } from '../model.ts';
import { formatCounterexample } from '../output/format.ts';
import { stringify } from 'yaml';
import { parseManifestText } from '../sources.ts';

export interface ConformanceCase {
  id: string;
  pins: string;
  base?: string;
  mode?: IpBlockModeOption;
  podCidrs?: string[];
  objects?: unknown[];
  allow?: unknown[];
  expect?: Record<string, 'compliant' | 'violation' | 'inconclusive'>;
  witness?: Record<string, string[]>;
  absent?: Record<string, string[]>;
  findings?: string[];
  /** Exactly these workload names are found (sorted compare). */
  workloads?: string[];
  error?: string;
}

const dir = import.meta.dirname;
const bases = parse(readFileSync(join(dir, 'bases.yaml'), 'utf8')) as Record<string, unknown[]>;
export const cases: (ConformanceCase & { file: string })[] = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml') && f !== 'bases.yaml')
  .sort()
  .flatMap((f) => (parse(readFileSync(join(dir, f), 'utf8')) as ConformanceCase[]).map((c) => ({ ...c, file: f })));

function run(c: ConformanceCase) {
  const objects = [...(c.base ? (bases[c.base] ?? []) : []), ...(c.objects ?? [])];
  const manifests = parseManifestText(objects.map((o) => stringify(o)).join('---\n'), `${c.id}.yaml`);
  const allowlist = parseAllowlist(
    stringify({ apiVersion: 'gauntlet.dev/v1alpha1', kind: 'EgressAllowlist', metadata: { name: c.id }, spec: { rules: c.allow ?? [] } }),
    `${c.id}-allowlist.yaml`,
  );
  const podCidrRanges = (c.podCidrs ?? []).map((t) => parseCidr(t) as NonNullable<ReturnType<typeof parseCidr>>);
  return analyseModel(buildModel(manifests), allowlist, { ipBlockMode: c.mode ?? 'upstream', podCidrRanges, maxCounterexamples: 1000 });
}

describe('conformance table', () => {
  it('has at least 60 cases, each naming what it pins, with unique ids', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    for (const c of cases) expect(c.pins, c.id).toMatch(/\w{3}/);
  });

  for (const c of cases) {
    it(`${c.id}: ${c.pins}`, () => {
      if (c.error) {
        let err: unknown;
        try {
          run(c);
        } catch (e) {
          err = e;
        }
        expect(err, 'expected an input error').toBeInstanceOf(InputError);
        expect((err as InputError).message).toContain(c.error);
        expect((err as InputError).issues[0]?.line, 'errors carry a line').toBeGreaterThan(0);
        return;
      }
      const r = run(c);
      const byName = (name: string) => {
        const w = r.workloads.find((x) => x.name === name || `${x.namespace}/${x.name}` === name);
        expect(w, `workload ${name} in ${r.workloads.map((x) => x.name).join(',')}`).toBeDefined();
        return w as NonNullable<typeof w>;
      };
      for (const [name, verdict] of Object.entries(c.expect ?? {})) {
        const w = byName(name);
        expect(w.verdict, `${name}: ${JSON.stringify({ cx: w.counterexamples.slice(0, 3).map(formatCounterexample), reasons: w.reasons })}`).toBe(verdict);
      }
      for (const [name, needles] of Object.entries(c.witness ?? {})) {
        const texts = byName(name).counterexamples.map((cx) => `${formatCounterexample(cx)} [${cx.modes.join(',')}]`);
        for (const n of needles) expect(texts.some((t) => t.includes(n)), `${name} witness "${n}" in ${JSON.stringify(texts)}`).toBe(true);
      }
      for (const [name, needles] of Object.entries(c.absent ?? {})) {
        const texts = byName(name).counterexamples.map(formatCounterexample);
        for (const n of needles) expect(texts.some((t) => t.includes(n)), `${name} must not reach "${n}": ${JSON.stringify(texts)}`).toBe(false);
      }
      if (c.workloads) expect(r.workloads.map((w) => w.name).sort()).toEqual([...c.workloads].sort());
      if (c.findings) expect(r.findings.map((f) => f.rule).sort()).toEqual([...c.findings].sort());
    });
  }
});
