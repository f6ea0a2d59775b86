/**
 * `gauntlet policies check` on input users really have: kubectl-style streams with empty documents
 * are read, and an alias bomb is bad input (exit 2, file:line:column, no stack trace).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'policies-input-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const check = (allowlist: string, manifests: string) =>
  spawnSync(process.execPath, ['cli/main.ts', 'policies', 'check', '--allowlist', allowlist, '--manifests', manifests], {
    encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', KUBECONFIG: '/nonexistent' },
  });

const example = readFileSync(join(import.meta.dirname, 'examples', 'allowlist.yaml'), 'utf8');
const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: x}]}
`;

describe('policies check input', () => {
  it('skips empty documents in manifests and in the allowlist, as kubectl does', () => {
    const allow = file('allow.yaml', `${example}---\n`);
    const manifests = file('k8s.yaml', `---\n${deployment}---\n# a document of comments only\n---\n`);
    const r = check(allow, manifests);
    expect(r.stderr).not.toContain('invalid input');
    expect(r.stdout).toMatch(/1 workload\(s\)/);
    expect(r.status).toBe(1); // no policy isolates shop/web: a violation, not bad input
  });

  it('an input with no workload says nothing was judged (exit 1), and names where the objects it ignored are', () => {
    // A policy recipe as blogs publish it: the policy, then bare fragments without kind.
    const manifests = file('recipe.yaml', `kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: api-allow-5000}
spec: {podSelector: {matchLabels: {app: api}}, ingress: [{ports: [{port: 5000}]}]}
---
ingress:
- ports: [{port: api-port}]
---
containers: [{name: api, image: api-image:latest}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
`);
    const r = check(file('allow3.yaml', example), manifests);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^nothing judged: the input has no workload/m);
    expect(r.stdout).toContain(`ignored objects: (no kind) x2, first at ${manifests}:6, ConfigMap x1, first at ${manifests}:11`);
  });

  it('rejects an alias bomb with exit 2, located, without a stack trace', () => {
    const levels = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 9 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]`)];
    const bomb = file('bomb.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: shop}\ndata:\n${levels.map((l) => `  ${l}`).join('\n')}\n`);
    const r = check(file('allow2.yaml', example), bomb);
    expect(r.stderr).toMatch(/bomb\.yaml:6:12: .*alias/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.status).toBe(2);
  });
});
