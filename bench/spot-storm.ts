/**
 * Spot storm at scale (issue 12): 100 KWOK nodes carrying 1,000 pods behind PodDisruptionBudgets,
 * 30 % of the nodes interrupted at once with the 120 s notice (handler aws-node-termination-handler,
 * through `gauntlet run`): is every node drained before its T? Compared in the same run with
 * `kubectl drain` of the same 30 nodes one after another.
 *
 * It brings its own cluster, so the shared lab is never touched: etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler and KWOK (managing every node) as child processes on
 * loopback ports, state in a temporary directory, removed at the end. API requests are counted by
 * the apiserver's audit log per user (one token for gauntlet, one for kubectl, one for the
 * control plane), so each side's count is its own.
 *
 *   node bench/spot-storm.ts [--nodes 100] [--pods 1000] [--percent 30] [--notice 120]
 *
 * Needs the lab's cached binaries (~/.cache/gauntlet/bin: etcd, kube-*, kwok, kubectl). Root is
 * not needed. Prints raw lines and a JSON summary on stdout.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { dieWithParentPrefix } from '../core/proc.ts';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const NODES = arg('nodes', 100);
const PODS = arg('pods', 1000);
const PERCENT = arg('percent', 30);
const NOTICE = arg('notice', 120);
const DEPLOYMENTS = PODS / 10;
const BIN = join(homedir(), '.cache', 'gauntlet', 'bin');
const PORT = { api: 16543, etcd: 23891, peer: 23901 };
const dir = mkdtempSync(join(tmpdir(), 'gauntlet-bench-storm-'));
const children: ChildProcess[] = [];
const log = (s: string) => process.stdout.write(`${new Date().toISOString()} ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function daemon(name: string, cmd: string, args: string[]): ChildProcess {
  // Straight to a file: the bench blocks in spawnSync (kubectl, gauntlet), and a piped stderr would fill
  // and stall the daemon (KWOK logs every patch) until the event loop ran again.
  // And dying with the bench (parent-death signal), even while it is blocked or killed.
  const argv = [...dieWithParentPrefix(), cmd, ...args];
  const c = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', openSync(join(dir, `${name}.log`), 'a')] });
  children.push(c);
  return c;
}

const tokens = { admin: randomBytes(16).toString('hex'), gauntlet: randomBytes(16).toString('hex'), kubectl: randomBytes(16).toString('hex') };
function kubeconfig(user: keyof typeof tokens): string {
  const f = join(dir, `${user}.kubeconfig`);
  writeFileSync(f, `apiVersion: v1
kind: Config
clusters: [{name: bench, cluster: {server: "https://127.0.0.1:${PORT.api}", insecure-skip-tls-verify: true}}]
users: [{name: ${user}, user: {token: ${tokens[user]}}}]
contexts: [{name: bench, context: {cluster: bench, user: ${user}, namespace: storm}}]
current-context: bench
`);
  return f;
}

function kubectl(user: keyof typeof tokens, args: string[], input?: string): string {
  const r = spawnSync(join(BIN, 'kubectl'), [`--kubeconfig=${join(dir, `${user}.kubeconfig`)}`, ...args], { input, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function until(what: string, fn: () => boolean, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    try {
      if (fn()) return (Date.now() - t0) / 1000;
    } catch {
      /* not yet */
    }
    await sleep(1000);
  }
  throw new Error(`timed out: ${what}`);
}

/** Audit events of `user` since line `from` (ResponseComplete only: one per request, watches once). */
function requests(user: string, from: number): { total: number; byVerb: Record<string, number>; lines: number } {
  const lines = readFileSync(join(dir, 'audit.log'), 'utf8').split('\n').filter(Boolean);
  const byVerb: Record<string, number> = {};
  let total = 0;
  for (const l of lines.slice(from)) {
    const e = JSON.parse(l) as { user: { username: string }; verb: string; objectRef?: { resource?: string; subresource?: string } };
    if (e.user.username !== `bench-${user}`) continue;
    total++;
    const k = `${e.verb} ${e.objectRef?.resource ?? ''}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''}`;
    byVerb[k] = (byVerb[k] ?? 0) + 1;
  }
  return { total, byVerb, lines: lines.length };
}
const auditLines = () => (existsSync(join(dir, 'audit.log')) ? readFileSync(join(dir, 'audit.log'), 'utf8').split('\n').filter(Boolean).length : 0);

function workload(): string {
  const docs = ['apiVersion: v1\nkind: Namespace\nmetadata: {name: storm}'];
  for (let i = 0; i < DEPLOYMENTS; i++) {
    docs.push(`apiVersion: apps/v1
kind: Deployment
metadata: {name: app-${i}, namespace: storm}
spec:
  replicas: 10
  selector: {matchLabels: {app: app-${i}}}
  template:
    metadata: {labels: {app: app-${i}}}
    spec:
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: 5
      topologySpreadConstraints:
        - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: app-${i}}}}
      containers: [{name: app, image: fake.local/app:v1}]`);
    docs.push(`apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: app-${i}, namespace: storm}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: app-${i}}}`);
  }
  return docs.join('\n---\n');
}

function nodes(): string {
  return Array.from({ length: NODES }, (_, i) => `apiVersion: v1
kind: Node
metadata:
  name: spot-${String(i + 1).padStart(3, '0')}
  annotations: {node.alpha.kubernetes.io/ttl: "0", kwok.x-k8s.io/node: fake}
  labels: {type: kwok, kubernetes.io/hostname: spot-${String(i + 1).padStart(3, '0')}, node.kubernetes.io/lifecycle: spot, topology.kubernetes.io/zone: zone-${'abc'[i % 3]}}
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}`).join('\n---\n');
}

type PodRow = { node: string; ready: boolean; deleting: boolean };
function pods(): PodRow[] {
  const l = JSON.parse(kubectl('admin', ['get', 'pods', '-n', 'storm', '-o', 'json', '--chunk-size=0'])) as { items: any[] };
  return l.items.map((p) => ({ node: p.spec.nodeName ?? '', ready: !!p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'), deleting: !!p.metadata.deletionTimestamp }));
}
const allReady = () => {
  const p = pods();
  return p.length === PODS && p.every((x) => x.ready && !x.deleting);
};
const pdbsSettled = () => (JSON.parse(kubectl('admin', ['get', 'pdb', '-n', 'storm', '-o', 'json'])) as { items: any[] }).items.every((b) => b.status?.currentHealthy === 10 && b.status?.disruptionsAllowed === 1);

async function main(): Promise<void> {
  log(`dir ${dir}; ${cpus().length} CPUs (${cpus()[0]?.model}); ${NODES} nodes, ${PODS} pods in ${DEPLOYMENTS} Deployments (PDB maxUnavailable 1 each), ${PERCENT}% interrupted, notice ${NOTICE}s`);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(dir, 'tokens.csv'), Object.entries(tokens).map(([u, t]) => `${t},bench-${u},bench-${u},"system:masters"`).join('\n') + '\n');
  writeFileSync(join(dir, 'audit.yaml'), 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived, ResponseStarted]\nrules:\n  - {level: Metadata, users: [bench-gauntlet, bench-kubectl]}\n  - {level: None}\n');
  for (const u of Object.keys(tokens) as Array<keyof typeof tokens>) kubeconfig(u);
  mkdirSync(join(dir, 'certs'));

  daemon('etcd', join(BIN, 'etcd'), ['--name=bench', `--data-dir=${join(dir, 'etcd')}`, `--listen-client-urls=http://127.0.0.1:${PORT.etcd}`, `--advertise-client-urls=http://127.0.0.1:${PORT.etcd}`, `--listen-peer-urls=http://127.0.0.1:${PORT.peer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${PORT.peer}`, `--initial-cluster=bench=http://127.0.0.1:${PORT.peer}`, '--unsafe-no-fsync=true', '--log-level=warn']);
  daemon('kube-apiserver', join(BIN, 'kube-apiserver'), [
    `--etcd-servers=http://127.0.0.1:${PORT.etcd}`, '--bind-address=127.0.0.1', `--secure-port=${PORT.api}`, `--cert-dir=${join(dir, 'certs')}`,
    `--token-auth-file=${join(dir, 'tokens.csv')}`, '--authorization-mode=RBAC', '--service-cluster-ip-range=10.96.0.0/16',
    '--disable-admission-plugins=ServiceAccount,TaintNodesByCondition', `--service-account-key-file=${join(dir, 'sa.pub')}`, `--service-account-signing-key-file=${join(dir, 'sa.key')}`, '--service-account-issuer=https://bench.invalid',
    `--audit-policy-file=${join(dir, 'audit.yaml')}`, `--audit-log-path=${join(dir, 'audit.log')}`, '--audit-log-format=json', '--audit-log-maxsize=0',
    '--profiling=false', '--v=0',
  ]);
  await until('apiserver ready', () => spawnSync(join(BIN, 'kubectl'), [`--kubeconfig=${join(dir, 'admin.kubeconfig')}`, 'get', '--raw', '/readyz'], { encoding: 'utf8' }).stdout.trim() === 'ok', 90_000);
  const admin = join(dir, 'admin.kubeconfig');
  // The control plane's own rate limits raised, so it is not what bounds the drains (set-up of 1,000 pods).
  // No node lifecycle controller: on a loaded machine KWOK's heartbeats lag past the grace period, the
  // controller marks every pod NotReady, and KWOK never sets them Ready again. (So the apiserver must not
  // add the not-ready taint at creation either: TaintNodesByCondition is off, nothing would remove it.)
  daemon('kube-controller-manager', join(BIN, 'kube-controller-manager'), [`--kubeconfig=${admin}`, '--leader-elect=false', '--secure-port=0', '--kube-api-qps=200', '--kube-api-burst=400', '--controllers=*,-serviceaccount-token,-nodelifecycle', '--v=0']);
  daemon('kube-scheduler', join(BIN, 'kube-scheduler'), [`--kubeconfig=${admin}`, '--leader-elect=false', '--secure-port=0', '--kube-api-qps=200', '--kube-api-burst=400', '--v=0']);
  daemon('kwok', join(BIN, 'kwok'), [`--kubeconfig=${admin}`, '--manage-all-nodes=true', '--cidr=10.200.0.0/16', '--node-ip=10.201.0.1']);

  const t0 = Date.now();
  kubectl('admin', ['apply', '-f', '-'], nodes());
  // Ready, and the node lifecycle controller's not-ready taint gone (else the scheduler avoids them).
  await until('nodes Ready and untainted', () => (JSON.parse(kubectl('admin', ['get', 'nodes', '-o', 'json'])) as { items: any[] }).items.filter((n) => !n.spec?.taints?.length && n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length === NODES, 120_000);
  kubectl('admin', ['apply', '-f', '-'], workload());
  const setUp = await until('1,000 pods Ready', allReady, 600_000);
  await until('PDBs settled', pdbsSettled, 120_000);
  log(`set-up: ${NODES} nodes Ready, ${PODS} pods Ready in ${setUp.toFixed(1)} s (total ${((Date.now() - t0) / 1000).toFixed(1)} s)`);

  // The same nodes for both: a seeded choice, passed to gauntlet by name.
  const all = Array.from({ length: NODES }, (_, i) => `spot-${String(i + 1).padStart(3, '0')}`);
  let seed = 42;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const chosen = [...all].sort(() => rnd() - 0.5).slice(0, Math.round((NODES * PERCENT) / 100)).sort();
  const onChosen = () => pods().filter((p) => chosen.includes(p.node) && !p.deleting).length;

  // 1. kubectl drain, one node after another.
  const podsBeforeKubectl = onChosen();
  let from = auditLines();
  const k0 = Date.now();
  const perNode: number[] = [];
  for (const n of chosen) {
    const s = Date.now();
    kubectl('kubectl', ['drain', n, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=600s']);
    perNode.push((Date.now() - s) / 1000);
  }
  const kubectlWall = (Date.now() - k0) / 1000;
  await sleep(2000);
  const kubectlReq = requests('kubectl', from);
  log(`kubectl drain x${chosen.length} in sequence: ${kubectlWall.toFixed(1)} s wall (per node min ${Math.min(...perNode).toFixed(1)} / median ${[...perNode].sort((a, b) => a - b)[Math.floor(perNode.length / 2)]!.toFixed(1)} / max ${Math.max(...perNode).toFixed(1)} s), ${podsBeforeKubectl} pods on the nodes, ${kubectlReq.total} API requests ${JSON.stringify(kubectlReq.byVerb)}`);

  // Reset: same nodes schedulable, pods spread again over all nodes (the ReplicaSets recreate them).
  for (const n of chosen) kubectl('admin', ['uncordon', n]);
  kubectl('admin', ['delete', 'pods', '-n', 'storm', '--all', '--wait=false']);
  await sleep(3000);
  await until('1,000 pods Ready again', allReady, 600_000);
  await until('PDBs settled again', pdbsSettled, 120_000);

  // 2. Gauntlet: the storm, all at once, aws-node-termination-handler's drain.
  const podsBeforeGauntlet = onChosen();
  const scenario = join(dir, 'storm.yaml');
  writeFileSync(scenario, `name: spot-storm-bench
target: {context: bench, namespace: storm}
duration: ${NOTICE + 8}s
faults:
  - kind: spot-interruption
    name: storm
    at: 1s
    duration: ${NOTICE + 5}s
    notice: ${NOTICE}s
    handler: aws-node-termination-handler
    elsewhere: delete
    nodes: {spot: true, names: [${chosen.join(', ')}], maxNodes: ${chosen.length}}
gates:
  - {name: nothing-lost, metric: podsKilledAtT, max: 0}
  - {name: drained-before-T, metric: noticeToDrainedSeconds, max: ${NOTICE}}
`);
  from = auditLines();
  const g0 = Date.now();
  const g = spawnSync(process.execPath, ['cli/main.ts', 'run', scenario, '--report-dir', join(dir, 'runs')], { encoding: 'utf8', env: { ...process.env, KUBECONFIG: join(dir, 'gauntlet.kubeconfig'), NO_COLOR: '1' }, maxBuffer: 64 << 20 });
  const gauntletWall = (Date.now() - g0) / 1000;
  await sleep(2000);
  const gauntletReq = requests('gauntlet', from);
  const runs = join(dir, 'runs');
  const runDir = join(runs, readdirSyncSafe(runs)[0] ?? '');
  const events = readFileSync(join(runDir, 'journal.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const fig = (n: string) => events.filter((e) => e.type === 'figure' && e.name === n).map((e) => e.value as number);
  const drained = fig('noticeToDrainedSeconds');
  const summary = {
    date: new Date().toISOString(), cpus: cpus().length, cpu: cpus()[0]?.model, nodes: NODES, pods: PODS, interrupted: chosen.length, noticeSeconds: NOTICE,
    kubectl: { wallSeconds: kubectlWall, perNodeSeconds: perNode, podsOnNodes: podsBeforeKubectl, apiRequests: kubectlReq.total, byVerb: kubectlReq.byVerb },
    gauntlet: {
      exit: g.status, wallSeconds: gauntletWall, podsOnNodes: podsBeforeGauntlet,
      nodesDrained: drained.length, lastDrainedSeconds: Math.max(...drained), medianDrainedSeconds: [...drained].sort((a, b) => a - b)[Math.floor(drained.length / 2)],
      podsEvictedBeforeT: fig('podsEvictedBeforeT').reduce((a, b) => a + b, 0), podsKilledAtT: fig('podsKilledAtT').reduce((a, b) => a + b, 0),
      allDrainedBeforeT: drained.length === chosen.length && drained.every((d) => d < NOTICE),
      apiRequests: gauntletReq.total, byVerb: gauntletReq.byVerb,
    },
  };
  log(`gauntlet storm (${chosen.length} nodes at once, notice ${NOTICE}s): exit ${g.status}, ${drained.length}/${chosen.length} nodes drained, last ${summary.gauntlet.lastDrainedSeconds.toFixed(1)} s after the notice (median ${summary.gauntlet.medianDrainedSeconds?.toFixed(1)} s), ${summary.gauntlet.podsEvictedBeforeT} pods evicted before T, ${summary.gauntlet.podsKilledAtT} killed at T, ${gauntletReq.total} API requests ${JSON.stringify(gauntletReq.byVerb)}`);
  if (g.status !== 0) log(`gauntlet exit ${g.status}; stdout (tail):\n${g.stdout.split('\n').slice(-15).join('\n')}\nstderr (tail):\n${g.stderr.split('\n').slice(-10).join('\n')}`);
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}

function readdirSyncSafe(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

function cleanup(): void {
  for (const c of children.reverse()) if (c.exitCode === null) c.kill('SIGTERM');
  setTimeout(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  }, 3000).unref();
}

process.on('SIGINT', () => {
  cleanup();
  setTimeout(() => process.exit(130), 3500);
});
main()
  .catch((e) => {
    log(`FAILED: ${(e as Error).message} (logs kept in ${dir})`);
    process.argv.push('--keep');
    process.exitCode = 1;
  })
  .finally(cleanup);
