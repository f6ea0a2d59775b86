/**
 * The plain-YAML fast path against the `yaml` package: on every text it accepts, the same documents
 * and values (empty documents aside, which both callers skip); on everything else, undefined.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { generate } from '../bench/policies-gen.ts';
import { generateIrregular } from '../bench/policies-gen-irregular.ts';
import { parsePlainYaml, plainLocator } from './plain-yaml.ts';
import { parseYamlDocs } from './source.ts';

function full(text: string): { values: unknown[]; errors: number } {
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  return { values: list.map((d) => d.toJS()).filter((v) => v !== null && v !== undefined), errors: list.reduce((n, d) => n + d.errors.length, 0) };
}

/** Every path into a value, and one missing key under each mapping. */
function paths(v: unknown, base: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(base);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...base, i], out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) paths(x, [...base, k], out);
    out.push([...base, 'no-such-key']);
  }
  return out;
}

function agree(text: string): 'fast' | 'fallback' {
  const fast = parsePlainYaml(text);
  if (!fast) return 'fallback';
  const f = full(text);
  expect(f.errors, text).toBe(0);
  expect(fast.map((d) => d.value).filter((v) => v !== null), text).toEqual(f.values);
  // Positions: where the reader can say, what the full parser says (lines within the document).
  for (const d of fast) {
    if (d.value === null) continue;
    const at = plainLocator(d.text);
    const ref = parseYamlDocs(d.text, 'x.yaml')[0]!;
    expect(at, d.text).toBeDefined();
    for (const p of paths(d.value)) {
      const got = at!(p);
      if (got) expect(got, `${p.join('.')} in\n${d.text}`).toEqual(ref.locate(p));
    }
  }
  return 'fast';
}

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir)) {
    if (e === 'node_modules' || e === 'dist' || e.startsWith('.')) continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) yamlFiles(p, out);
    else if (/\.ya?ml$/.test(e)) out.push(p);
  }
  return out;
}

const TRICKY = [
  'a: 1\nb: 0o17\nc: 0x1F\nd: +5\ne: 007\nf: 1.5\ng: .5\nh: 1e3\ni: -.inf\nj: .NaN\nk: ~\nl: Null\nm: TRUE\nn: False\no: yes\np: 10.0.0.0/16\nq: "80"\nr: \'it\'\'s\'\ns: "a\\tb\\"c"\nt: 1_000\nu: 1.2.3\nv: -1\n',
  'x: a # comment\ny: "q # not" # c\nz: a#b\n',
  'k: |\n  line 1\n    indented\n\n  # not a comment\n  last\nafter: 1\n',
  'k: |-\n  stripped\n\n\nnext: 2\n',
  'k: |\n  at the end without newline',
  'list:\n- a\n- b: 1\n  c: 2\n-\n  d: 3\n- []\n- {}\nafter: x\n',
  'nested:\n  - - a\n',
  'spec:\n  podSelector: {}\n  policyTypes: [Egress]\n',
  'a: &x 1\nb: *x\n',
  'a: !!str 5\n',
  'a: b: c\n',
  'a: one\n  two\n',
  'a: 1\na: 2\n',
  '"quoted key": 1\n\'single\': 2\n',
  '80: x\n',
  'true: x\n',
  '---\na: 1\n---\n# only a comment\n---\nb: 2\n...\n',
  '---\na: 1\n---\n\n---\nb: 2\n',
  '%YAML 1.2\n---\na: 1\n',
  'a: >\n  folded\n',
  'a: "multi\n  line"\n',
  'a:\n\tb: 1\n',
  'just a scalar\n',
  '- 1\n- two\n',
  'a:\n  b:\n    c: [1, 2]\n',
  'key with spaces: v\nurl: http://x:80/p\nhost:port: 1\n',
  'a: "\\u0041"\n',
  'a: \'\'\nb: ""\nc:\n',
  'a:\n  - x\n  b: y\n',
  'x:\n  k: |\n    keep\n   \n    more\n',
  '? complex\n: value\n',
  'a: [x]\n',
  'a: `x`\n',
  'a: @x\n',
  'a: x, y\n',
  '- a: 1\n  - b\n',
];

describe('plain YAML fast path', () => {
  it('agrees with the yaml package on every YAML file in the repository', () => {
    const files = yamlFiles(join(import.meta.dirname, '..'));
    expect(files.length).toBeGreaterThan(5);
    const counts = { fast: 0, fallback: 0 };
    for (const f of files) counts[agree(readFileSync(f, 'utf8'))]++;
    expect(counts.fast).toBeGreaterThan(0);
  });

  it('agrees on tricky snippets, and falls back on anchors, tags, flow, folded and multi-line scalars', () => {
    const seen = TRICKY.map(agree);
    expect(seen.filter((s) => s === 'fast').length).toBeGreaterThan(10);
    for (const t of ['a: &x 1\nb: *x\n', 'a: !!str 5\n', 'a: [x]\n', 'a: >\n  folded\n', 'a: "multi\n  line"\n', 'a: one\n  two\n', 'a: 1\na: 2\n', 'a: b: c\n']) {
      expect(parsePlainYaml(t), t).toBeUndefined();
    }
  });

  it('reads generated clusters (regular and irregular) as the yaml package does, without falling back', () => {
    for (const g of [generate({ pods: 60, policies: 40, rules: 20 }), generateIrregular({ pods: 60, policies: 40, rules: 20, namespaces: 4, seed: 3 })]) {
      const text = [...(g.cluster as { items: unknown[] }).items.map((o) => stringify(o)), stringify(g.allowlist)].join('---\n');
      expect(agree(text)).toBe('fast');
    }
  });
});
