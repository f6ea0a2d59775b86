/** JSON input (the live-cluster and `kubectl get -o json` shape) is located without a YAML parse. */
import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors.ts';
import { buildModel } from './inputs.ts';
import { parseManifestText } from './sources.ts';

const list = JSON.stringify({
  apiVersion: 'v1', kind: 'List',
  items: [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } },
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p', namespace: 'shop' }, spec: { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }] } },
  ],
}, null, 1);

describe('JSON manifests', () => {
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
});
