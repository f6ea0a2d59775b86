import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateSchema } from '../../reports/schema/validate.ts';
import { parseAllowlist } from '../allowlist.ts';
import { analyseModel, policyExitCode } from '../check.ts';
import { buildModel } from '../inputs.ts';
import { parseManifestText } from '../sources.ts';
import { renderPolicyCheck, renderPolicyCheckChunks } from './index.ts';

const manifests = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec: {template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: x}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: batch, namespace: shop}
spec: {template: {metadata: {labels: {app: batch}}, spec: {containers: [{name: c, image: x}]}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  egress:
    - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
      ports: [{port: 443}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: batch, namespace: shop}
spec: {podSelector: {matchLabels: {app: batch}}, policyTypes: [Egress]}
`;
const allow = parseAllowlist('apiVersion: gauntlet.dev/v1alpha1\nkind: EgressAllowlist\nmetadata: {name: a}\nspec: {rules: [{name: dns, ports: [{port: 53, protocol: UDP}]}]}\n', 'a.yaml');
const result = analyseModel(buildModel(parseManifestText(manifests, 'k8s.yaml')), allow, { ipBlockMode: 'cilium' });

describe('policies check output', () => {
  it('verdicts and exit code: a violation exits 1', () => {
    expect(result.workloads.map((w) => `${w.name}:${w.verdict}`)).toEqual(['web:violation', 'batch:compliant']);
    expect(policyExitCode(result)).toBe(1);
  });

  it('JSON follows the published schema', () => {
    const schema = JSON.parse(readFileSync(join(import.meta.dirname, '../schema/policy-check.schema.json'), 'utf8'));
    const json = JSON.parse(renderPolicyCheck(result, 'json'));
    expect(validateSchema(json, schema)).toEqual([]);
    expect(json.workloads[0].counterexamples[0].allowedBy[0].origin).toMatchObject({ file: 'k8s.yaml', line: 17 });
  });

  it('SARIF locates the violation at the policy rule that allowed it', () => {
    const sarif = JSON.parse(renderPolicyCheck(result, 'sarif'));
    const v = sarif.runs[0].results.find((r: { ruleId: string }) => r.ruleId === 'egress-violation');
    expect(v.locations[0].physicalLocation).toMatchObject({ artifactLocation: { uri: 'k8s.yaml' }, region: { startLine: 17 } });
    expect(v.message.text).toContain('TCP 443 -> ip 203.0.113.10');
  });

  it('JUnit fails the violating workload only; text and md name the counterexample', () => {
    const junit = renderPolicyCheck(result, 'junit');
    expect(junit).toContain('tests="2" failures="1"');
    expect(junit).toMatch(/name="Deployment\/web">\s*<failure type="violation"/);
    expect(renderPolicyCheck(result, 'text')).toContain('allowed by: NetworkPolicy egress rule: NetworkPolicy shop/web spec.egress[0] (k8s.yaml:17)');
    expect(renderPolicyCheck(result, 'md')).toContain('| shop/Deployment/web | violation | TCP 443 -> ip 203.0.113.10');
  });
  it('JSON written piece by piece is the same text as the whole document', () => {
    const whole = renderPolicyCheck(result, 'json');
    expect([...renderPolicyCheckChunks(result, 'json')].join('')).toBe(whole);
    // Many workloads: several pieces of about a megabyte, never the whole report as one string.
    const many = { ...result, workloads: Array.from({ length: 20_000 }, (_, i) => ({ ...result.workloads[i % result.workloads.length]!, name: `w-${i}` })) };
    const pieces = [...renderPolicyCheckChunks(many, 'json')];
    const text = pieces.join('');
    expect(text).toBe(renderPolicyCheck(many, 'json'));
    expect(pieces.length).toBeGreaterThan(text.length / (2 << 20));
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(3 << 20);
    // No workloads, no findings (empty arrays), a field left undefined: still the same text.
    const empty = { ...result, workloads: [], findings: [], notes: undefined as unknown as string[] };
    expect([...renderPolicyCheckChunks(empty, 'json')].join('')).toBe(renderPolicyCheck(empty, 'json'));
  });
});
