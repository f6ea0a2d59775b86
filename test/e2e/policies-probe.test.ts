/**
 * Probe pods on a cluster that behaves like a real one: a namespace enforcing Pod Security
 * "restricted" admits them (and rejects a pod that is not restricted, so the label really is
 * enforced), and a `policies probe` killed with SIGKILL while its pods exist leaves a journal from
 * which `gauntlet recover` removes them. Traffic goes only to the lab's world hosts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../core/kube.ts';
import { IMAGES, WORLD_PORTS } from '../../lab/index.ts';
import { parseAllowlist } from '../../policies/allowlist.ts';
import { probePolicies } from '../../policies/probe.ts';
import { eventually, k, kk, labKubeconfig, labWorldHosts, requireLab } from './lab-kube.ts';

const allowed = labWorldHosts().find((h) => h.approved)!;
const denied = labWorldHosts().find((h) => !h.approved)!;
const RESTRICTED = 'policies-restricted';
const CRASH = 'policies-crash';
const kubeconfig = labKubeconfig();

const restrictedClient = (ns: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 65534, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: c
          image: ${IMAGES.probe}
          command: [sleep, '3600']
          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`;
const manifests = [
  `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${RESTRICTED}\n  labels: {pod-security.kubernetes.io/enforce: restricted, pod-security.kubernetes.io/enforce-version: latest}\n`,
  `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${CRASH}}\n`,
  restrictedClient(RESTRICTED),
  restrictedClient(CRASH),
  `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: only-allowed-host, namespace: ${RESTRICTED}}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{ipBlock: {cidr: ${allowed.ip}/32}}]}]\n`,
].join('---\n');

const allowlistText = `apiVersion: gauntlet.dev/v1alpha1
kind: EgressAllowlist
metadata: {name: lab}
spec:
  rules:
    - name: allowed-world
      to: [{ipBlock: {cidr: ${allowed.ip}/32}}]
  probeTargets:
    - {name: allowed-tcp, address: ${allowed.ip}, protocol: TCP, port: ${WORLD_PORTS.tcp}}
    - {name: denied-tcp, address: ${denied.ip}, protocol: TCP, port: ${WORLD_PORTS.tcp}}
`;

const probeObjects = (ns: string) => kk(['-n', ns, 'get', 'pods,configmaps', '-l', 'gauntlet.dev/probe-run', '-o', 'name']);

describe('policies probe on a restricted, crash-prone cluster', () => {
  beforeAll(async () => {
    await requireLab();
    await kk(['delete', 'namespace', RESTRICTED, CRASH, '--ignore-not-found', '--wait=true', '--timeout=120s']);
    await kk(['apply', '-f', '-'], manifests);
    for (const n of [RESTRICTED, CRASH]) await kk(['-n', n, 'rollout', 'status', 'deployment/client', '--timeout=120s']);
  });
  afterAll(async () => {
    await kk(['delete', 'namespace', RESTRICTED, CRASH, '--ignore-not-found', '--wait=false']).catch(() => {});
  });

  it('probe pods are admitted in a namespace enforcing Pod Security "restricted"', async () => {
    // The label is enforced: a pod that is not restricted is refused here.
    const refused = await k(['-n', RESTRICTED, 'run', 'not-restricted', `--image=${IMAGES.probe}`, '--restart=Never', '--dry-run=server', '--', 'sleep', '1']);
    expect(refused.ok).toBe(false);
    expect(refused.stderr).toContain('violates PodSecurity "restricted');

    const kube = connect({ kubeconfig, env: {} });
    const reportDir = mkdtempSync(join(tmpdir(), 'policies-e2e-'));
    const r = await probePolicies({
      allowlist: parseAllowlist(allowlistText, 'lab-allowlist.yaml'), kube, namespaces: [RESTRICTED], options: { reportDir }, ipBlockMode: 'upstream', retries: 2, timeoutSeconds: 90,
    });
    const row = (dest: string) => r.rows.find((x) => x.workload === `${RESTRICTED}/Deployment/client` && x.destination === dest);
    expect(row('allowed-tcp')).toMatchObject({ expected: 'allowed', observed: 'reachable', mismatch: false });
    expect(row('denied-tcp')).toMatchObject({ expected: 'blocked', observed: 'blocked', mismatch: false });
    expect(r.cleanedUp).toBe(1);
    expect(await probeObjects(RESTRICTED)).toBe('');
  });

  it('after a SIGKILL mid-probe, gauntlet recover removes the probe pods from the journal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'policies-crash-'));
    const allow = join(dir, 'allow.yaml');
    writeFileSync(allow, allowlistText);
    const reportDir = join(dir, 'runs');
    const child = spawn(process.execPath, ['cli/main.ts', 'policies', 'probe', '--kubeconfig', kubeconfig, '--allowlist', allow, '-n', CRASH, '--report-dir', reportDir, '--timeout-seconds', '90'], { stdio: 'ignore' });
    const journal = await eventually('the probe pod is journaled and created', async () => {
      if (!existsSync(reportDir)) return undefined;
      const [run] = readdirSync(reportDir);
      const file = run && join(reportDir, run, 'journal.ndjson');
      return file && existsSync(file) && readFileSync(file, 'utf8').includes('"change.applied"') ? file : undefined;
    }, 60_000, 100);
    child.kill('SIGKILL');
    await new Promise((res) => child.once('exit', res));
    expect(await probeObjects(CRASH)).toMatch(/pod\/gauntlet-probe-/);

    const runDir = join(journal, '..');
    const rec = spawnSync(process.execPath, ['cli/main.ts', 'recover', runDir, '--kubeconfig', kubeconfig], { encoding: 'utf8' });
    expect(rec.stdout).toMatch(/reverted c1: create probe pod policies-crash\/gauntlet-probe-/);
    expect(rec.status).toBe(0);
    expect(await probeObjects(CRASH)).toBe('');
  });
});
