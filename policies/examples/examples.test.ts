import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.ts';
import { parseAllowlist, readAllowlist } from '../allowlist.ts';

describe('the shipped example allowlist', () => {
  it('parses, with every rule named and located', async () => {
    const a = await readAllowlist(join(import.meta.dirname, 'allowlist.yaml'));
    expect(a.rules.map((r) => r.name)).toEqual(['dns', 'web-to-db', 'payments-api']);
    const text = readFileSync(join(import.meta.dirname, 'allowlist.yaml'), 'utf8').split('\n');
    const line = text.findIndex((l) => l.includes('- name: web-to-db')) + 1;
    expect(a.rules[1]?.origin).toMatchObject({ object: 'EgressAllowlist rule "web-to-db"', path: 'spec.rules[1]', line });
    expect(a.probeTargets[0]).toMatchObject({ address: '203.0.113.10', protocol: 'HTTP', port: 443 });
  });

  it('reports a misspelt field with file:line and path (exit 2)', () => {
    const text = 'apiVersion: gauntlet.dev/v1alpha1\nkind: EgressAllowlist\nmetadata: {name: x}\nspec:\n  rules:\n    - name: a\n      to: [{ipBlock: {cidr: 10.0.0.0/8}, namespaceSelecter: {}}]\n';
    try {
      parseAllowlist(text, 'allow.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).issues[0]).toMatchObject({ file: 'allow.yaml', line: 7, path: 'spec.rules[0].to[0].namespaceSelecter' });
      expect((e as InputError).exitCode).toBe(2);
    }
  });
});
