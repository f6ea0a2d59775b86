/** JSON input (the live-cluster and `kubectl get -o json` shape) is located without a YAML parse. */
import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors.ts';
import { buildModel } from './inputs.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifestText, readManifests } from './sources.ts';

const list = JSON.stringify({
  apiVersion: 'v1', kind: 'List',
  items: [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p', namespace: 'shop' }, spec: { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }] } },
  ],
}, null, 1);

describe('JSON manifests', () => {
  it('read a List of 200,000 objects (a 100,000-pod cluster has more; spreading them into push() overflowed the stack)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gauntlet-manifests-'));
    try {
      const items = Array.from({ length: 200_000 }, (_, i) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns-${i}` } }));
      writeFileSync(join(dir, 'cluster.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
      const objects = await readManifests(join(dir, 'cluster.json'));
      expect(objects.length).toBe(200_000);
      expect(objects[199_999]!.value).toMatchObject({ metadata: { name: 'ns-199999' } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('name file:line:column of a bad field deep inside an item', () => {
    let err: InputError | undefined;
    try {
      buildModel(parseManifestText(list, 'dump.json'));
    } catch (e) {
      err = e as InputError;
    }
    const lines = list.split('\n');
    const line = lines.findIndex((l) => l.includes('10.0.0.0/33')) + 1;
    expect(err?.issues[0]).toMatchObject({ file: 'dump.json', line, column: (lines[line - 1] as string).indexOf('"10.0.0.0/33"') + 1 });
  });

  it('locate a missing field at its nearest ancestor, and items by index', () => {
    const objs = parseManifestText(list, 'dump.json');
    const at = (o: (typeof objs)[number], path: (string | number)[]) => o.locator!.locate([...o.base, ...path]);
    const lines = list.split('\n');
    const valueAt = (needle: string, value: string) => {
      const i = lines.findIndex((l) => l.includes(needle));
      return { line: i + 1, column: (lines[i] as string).indexOf(value) + 1 };
    };
    expect(at(objs[1]!, ['metadata', 'name'])).toEqual(valueAt('"name": "p"', '"p"'));
    expect(at(objs[1]!, ['spec', 'nope'])).toEqual(valueAt('"spec"', '{'));
    expect(at(objs[0]!, [])).toEqual({ line: 5, column: 3 }); // the item's opening brace
  });

  it('locate items after strings holding quotes, backslashes and brackets', () => {
    const tricky = JSON.stringify({
      apiVersion: 'v1', kind: 'List', metadata: { annotations: { a: 'say \\"items\\": [{', b: 'ends in a backslash \\', c: '}]}' } },
      items: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a', annotations: { note: '\\\\"}' } } },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'b' } },
      ],
    }, null, 1);
    const objs = parseManifestText(tricky, 'dump.json');
    const lines = tricky.split('\n');
    const line = lines.findIndex((l) => l.includes('"name": "b"')) + 1;
    expect(objs[1]!.locator!.locate([...objs[1]!.base, 'metadata', 'name'])).toEqual({ line, column: (lines[line - 1] as string).indexOf('"b"') + 1 });
  });
});

describe('plain YAML manifests (read without a YAML document, located lazily)', () => {
  const yaml = [
    '# a cluster dump',
    'apiVersion: v1',
    'kind: Namespace',
    'metadata: {name: shop}', // flow: the whole text takes the full parser
  ].join('\n');
  const plain = [
    '---',
    'apiVersion: v1',
    'kind: Namespace',
    'metadata:',
    '  name: shop',
    '---',
    '# the policy',
    'apiVersion: networking.k8s.io/v1',
    'kind: NetworkPolicy',
    'metadata:',
    '  name: p',
    '  namespace: shop',
    'spec:',
    '  podSelector: {}',
    '  egress:',
    '  - to:',
    '    - ipBlock:',
    '        cidr: 10.0.0.0/33',
    '',
  ].join('\n');

  it('name file:line:column of a bad field in a later document, as the full parser does', () => {
    const errOf = (text: string) => {
      try {
        buildModel(parseManifestText(text, 'dump.yaml'));
      } catch (e) {
        return (e as InputError).issues[0];
      }
      return undefined;
    };
    // The same text with an anchor takes the full parser: both must name the same place.
    const viaFull = errOf(plain.replace('  name: shop', '  name: &n shop'));
    expect(errOf(plain)).toMatchObject({ file: 'dump.yaml', line: 18, column: 15 });
    expect(errOf(plain)).toEqual(viaFull);
  });

  it('locate every object and missing field like the full parser', () => {
    const fast = parseManifestText(plain, 'dump.yaml');
    const full = parseManifestText(`${plain}---\nkind: X\nx: &a 1\n`, 'dump.yaml').slice(0, 2);
    expect(fast.map((o) => o.value)).toEqual(full.map((o) => o.value));
    for (const path of [['metadata', 'name'], ['spec', 'egress', 0, 'to', 0], ['spec', 'nope'], []] as (string | number)[][]) {
      for (let i = 0; i < 2; i++) expect(fast[i]!.locator!.locate([...fast[i]!.base, ...path]), `${i} ${path.join('.')}`).toEqual(full[i]!.locator!.locate([...full[i]!.base, ...path]));
    }
    expect(parseManifestText(yaml, 'x.yaml')[0]!.value).toMatchObject({ kind: 'Namespace' });
  });
});
