/** The linter names the pods a finding is about, so a user knows which workload to fix. */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildModel } from './inputs.ts';
import { lint } from './lint.ts';
import { parseManifestText } from './sources.ts';

const deploy = (name: string) => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'shop' },
  spec: { template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
});
const np = (name: string, podSelector: object, egress?: object[]) => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: 'shop' }, spec: { podSelector, policyTypes: ['Egress'], ...(egress ? { egress } : {}) },
});
const dns = [{ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }];
const findings = (objects: object[]) => lint(buildModel(parseManifestText(objects.map((o) => stringify(o)).join('---\n'), 'k8s.yaml')));

describe('dns-not-allowed', () => {
  it('names the isolated workload left without DNS, not the one that has it', () => {
    const f = findings([deploy('web'), deploy('db'), np('deny', {}), np('dns-web', { matchLabels: { app: 'web' } }, dns)]);
    expect(f.filter((x) => x.rule === 'dns-not-allowed').map((x) => x.message)).toEqual([
      'NetworkPolicy shop/deny isolates egress of Deployment/db in shop, and DNS is not allowed',
    ]);
  });

  it('says which protocol is missing', () => {
    const f = findings([deploy('web'), np('udp-only', {}, [{ ports: [{ port: 53, protocol: 'UDP' }] }])]);
    expect(f.map((x) => x.message)).toEqual([expect.stringContaining('DNS is allowed over UDP only (TCP 53 is blocked')]);
  });
});
