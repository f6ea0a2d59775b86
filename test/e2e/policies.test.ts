/**
 * Live probes agree with the static analysis in the lab (real NetworkPolicy enforcement, outside-world
 * hosts in their own network namespaces), and a policy the enforcer does not apply is a mismatch.
 * Traffic goes only to the lab's pods and its world hosts (10.77.0.201/.202).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../core/kube.ts';
import { IMAGES, WORLD_PORTS } from '../../lab/index.ts';
import { parseAllowlist } from '../../policies/allowlist.ts';
import { probePolicies } from '../../policies/probe.ts';
import { parseManifestText } from '../../policies/sources.ts';
import { kk, labKubeconfig, labWorldHosts, requireLab } from './lab-kube.ts';

const allowed = labWorldHosts().find((h) => h.approved)!;
const denied = labWorldHosts().find((h) => !h.approved)!;
const NS = ['gp-deny', 'gp-partial', 'gp-open', 'gp-ignored'];

const client = (ns: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec:
      containers: [{name: c, image: ${IMAGES.probe}, command: [sleep, '3600']}]
`;
const onlyAllowedHost = (ns: string) => `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-allowed-host, namespace: ${ns}}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - to: [{ipBlock: {cidr: ${allowed.ip}/32}}]
`;
const manifests = [
  ...NS.map((n) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${n}}\n`),
  ...NS.map(client),
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-all, namespace: gp-deny}\nspec: {podSelector: {}, policyTypes: [Egress]}\n`,
  onlyAllowedHost('gp-partial'),
].join('---\n');

const allowlist = parseAllowlist(`apiVersion: gauntlet.dev/v1alpha1
kind: EgressAllowlist
metadata: {name: lab}
spec:
  rules:
    - name: allowed-world
      to: [{ipBlock: {cidr: ${allowed.ip}/32}}]
  probeTargets:
    - {name: allowed-tcp, address: ${allowed.ip}, protocol: TCP, port: ${WORLD_PORTS.tcp}}
    - {name: allowed-udp, address: ${allowed.ip}, protocol: UDP, port: ${WORLD_PORTS.udp}}
    - {name: allowed-http, address: ${allowed.ip}, protocol: HTTP, port: ${WORLD_PORTS.http}}
    - {name: denied-tcp, address: ${denied.ip}, protocol: TCP, port: ${WORLD_PORTS.tcp}}
    - {name: denied-udp, address: ${denied.ip}, protocol: UDP, port: ${WORLD_PORTS.udp}}
    - {name: denied-http, address: ${denied.ip}, protocol: HTTP, port: ${WORLD_PORTS.http}}
`, 'lab-allowlist.yaml');

describe('policies probe in the lab', () => {
  beforeAll(async () => {
    await requireLab();
    // A previous run's namespaces may still be terminating: start from none.
    await kk(['delete', 'namespace', ...NS, '--ignore-not-found', '--wait=true', '--timeout=120s']);
    await kk(['apply', '-f', '-'], manifests);
    for (const n of NS) await kk(['-n', n, 'rollout', 'status', 'deployment/client', '--timeout=120s']);
  });
  afterAll(async () => {
    await kk(['delete', 'namespace', ...NS, '--ignore-not-found', '--wait=false']).catch(() => {});
  });

  it('agrees with the analysis on default-deny, partial and allow-all egress; flags the unenforced policy', async () => {
    const kube = connect({ kubeconfig: labKubeconfig(), env: {} });
    // gp-ignored: the analysis is told about a policy the enforcer never sees (it is not applied).
    const extraObjects = parseManifestText(onlyAllowedHost('gp-ignored'), 'ignored-policy.yaml');
    const reportDir = mkdtempSync(join(tmpdir(), 'policies-e2e-'));
    const r = await probePolicies({ allowlist, kube, namespaces: NS, options: { reportDir }, extraObjects, ipBlockMode: 'upstream', retries: 2, attemptSeconds: 2, timeoutSeconds: 90 });
    const row = (ns: string, dest: string) => r.rows.find((x) => x.workload === `${ns}/Deployment/client` && x.destination === dest);

    for (const kind of ['tcp', 'udp', 'http']) {
      expect(row('gp-deny', `allowed-${kind}`)).toMatchObject({ expected: 'blocked', observed: 'blocked', mismatch: false });
      expect(row('gp-partial', `allowed-${kind}`)).toMatchObject({ expected: 'allowed', observed: 'reachable', mismatch: false });
      expect(row('gp-partial', `denied-${kind}`)).toMatchObject({ expected: 'blocked', observed: 'blocked', mismatch: false });
      expect(row('gp-open', `denied-${kind}`)).toMatchObject({ expected: 'allowed', observed: 'reachable', approved: false });
      expect(row('gp-ignored', `denied-${kind}`)).toMatchObject({ expected: 'blocked', observed: 'reachable', mismatch: true });
    }
    expect(r.mismatches.every((m) => m.row.workload.startsWith('gp-ignored/'))).toBe(true);
    expect(r.mismatches.map((m) => m.finding).join('\n')).toContain('analysis says blocked, traffic passed');
    expect(r.cleanedUp).toBeGreaterThan(0);
    expect(await kk(['get', 'pods,configmaps', '-A', '-l', 'gauntlet.dev/probe-run', '-o', 'name'])).toBe('');
    console.log(`probe: ${r.rows.length} checks in ${r.seconds}s`);
  });
});
