/**
 * The live 81-pair probe matrix in the lab (goal: under 60 s): 9 workloads (3 default-deny,
 * 3 partial, 3 allow-all egress) x 9 destinations (the two outside-world hosts over TCP, UDP and
 * HTTP, plus an in-cluster Service over TCP, UDP and HTTP). UDP targets echo, so silence means blocked.
 * Needs the lab up: `gauntlet lab up`, then `node bench/policies-probe-matrix.ts`.
 * Traffic goes only to the lab's own hosts and Services.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { connect } from '../core/kube.ts';
import { IMAGES, labPaths, WORLD_HOSTS, WORLD_PORTS } from '../lab/index.ts';
import { parseAllowlist } from '../policies/allowlist.ts';
import { probePolicies } from '../policies/probe.ts';

const paths = labPaths();
const kubectl = (args: string[], input?: string) =>
  execFileSync(join(paths.bin, 'kubectl'), ['--kubeconfig', paths.kubeconfig, ...args], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'inherit'] });

const allowed = WORLD_HOSTS.find((h) => h.approved)!;
const denied = WORLD_HOSTS.find((h) => !h.approved)!;
const serverIp = '10.79.0.81';
const kinds = ['deny', 'partial', 'open'] as const;
const namespaces = kinds.flatMap((k) => [1, 2, 3].map((i) => `pm-${k}-${i}`));

const policy = (ns: string) =>
  ns.includes('deny')
    ? `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: ${ns}}\nspec: {podSelector: {}, policyTypes: [Egress]}\n`
    : ns.includes('partial')
      ? `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: partial, namespace: ${ns}}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{ipBlock: {cidr: ${allowed.ip}/32}}]}]\n`
      : '';
const manifests = [
  'apiVersion: v1\nkind: Namespace\nmetadata: {name: pm-server}\n',
  `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: server, namespace: pm-server}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: server}}\n  template:\n    metadata: {labels: {app: server}}\n    spec:\n      containers: [{name: s, image: ${IMAGES.demoV1}, imagePullPolicy: Never, env: [{name: TCP_ECHO, value: ':9000'}, {name: UDP_ECHO, value: ':9001'}], ports: [{containerPort: 8080}, {containerPort: 9000}, {containerPort: 9001, protocol: UDP}]}]\n`,
  `apiVersion: v1\nkind: Service\nmetadata: {name: server, namespace: pm-server}\nspec:\n  clusterIP: ${serverIp}\n  selector: {app: server}\n  ports: [{name: http, port: 80, targetPort: 8080}, {name: tcp, port: 9000, targetPort: 9000}, {name: udp, port: 9001, targetPort: 9001, protocol: UDP}]\n`,
  ...namespaces.map((ns) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}\n`),
  ...namespaces.map(
    (ns) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: client, namespace: ${ns}}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: client}}\n  template:\n    metadata: {labels: {app: client}}\n    spec:\n      containers: [{name: c, image: ${IMAGES.probe}, imagePullPolicy: Never, command: [sleep, '3600']}]\n`,
  ),
  ...namespaces.map(policy).filter(Boolean),
].join('---\n');

const t = (name: string, address: string, protocol: string, port: number) => `    - {name: ${name}, address: ${address}, protocol: ${protocol}, port: ${port}}`;
const allowlist = parseAllowlist(
  `apiVersion: gauntlet.dev/v1alpha1
kind: EgressAllowlist
metadata: {name: matrix}
spec:
  rules:
    - name: allowed-world
      to: [{ipBlock: {cidr: ${allowed.ip}/32}}]
  probeTargets:
${[
  t('allowed-tcp', allowed.ip, 'TCP', WORLD_PORTS.tcp),
  t('allowed-udp', allowed.ip, 'UDP', WORLD_PORTS.udp),
  t('allowed-http', allowed.ip, 'HTTP', WORLD_PORTS.http),
  t('denied-tcp', denied.ip, 'TCP', WORLD_PORTS.tcp),
  t('denied-udp', denied.ip, 'UDP', WORLD_PORTS.udp),
  t('denied-http', denied.ip, 'HTTP', WORLD_PORTS.http),
  t('server-tcp', serverIp, 'TCP', 9000),
  t('server-http', serverIp, 'HTTP', 80),
  t('server-udp', serverIp, 'UDP', 9001),
].join('\n')}
`,
  'matrix-allowlist.yaml',
);

console.log(`# ${new Date().toISOString()} ${namespaces.length} workloads x 9 destinations`);
kubectl(['delete', 'namespace', 'pm-server', ...namespaces, '--ignore-not-found', '--wait=true', '--timeout=180s']);
kubectl(['apply', '-f', '-'], manifests);
for (const ns of ['pm-server', ...namespaces]) kubectl(['-n', ns, 'rollout', 'status', `deployment/${ns === 'pm-server' ? 'server' : 'client'}`, '--timeout=180s']);
try {
  const kube = connect({ kubeconfig: paths.kubeconfig, env: {} });
  const t0 = performance.now();
  const r = await probePolicies({ allowlist, kube, namespaces, ipBlockMode: 'upstream', retries: 2, attemptSeconds: 2, timeoutSeconds: 120 });
  const s = (performance.now() - t0) / 1000;
  const pairs = r.rows.length;
  const byObserved = r.rows.reduce<Record<string, number>>((m, x) => ((m[x.observed] = (m[x.observed] ?? 0) + 1), m), {});
  console.log(`probe matrix: ${pairs} pairs in ${s.toFixed(1)} s (goal < 60 s); observed ${JSON.stringify(byObserved)}; ${r.mismatches.length} mismatch(es)`);
  for (const m of r.mismatches) console.log(`  ${m.finding}`);
} finally {
  kubectl(['delete', 'namespace', 'pm-server', ...namespaces, '--ignore-not-found', '--wait=false']);
}
