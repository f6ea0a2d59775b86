/**
 * `lab up` for the local provider. Every step checks before it acts, so running it twice is a
 * no-op and running it after a crash finishes the job.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NET, WORLD_HOSTS, WORLD_PORTS, IMAGES, imageTarball, labPaths, nodeSpecs, type AddonName, type Enforcer, type LabPaths, type NodeSpec } from '../../config.ts';
import { ENFORCER_TOOL, enforcerDaemon, enforcerReadyCheck } from './enforcer.ts';
import * as cp from './controlplane.ts';
import { ensureCgroup } from './cgroups.ts';
import { bridgeUp, ensureBridge, ensureNetns, nodeSysctls, podRoutes, routeReplace } from './net.ts';
import { ensureCa, ensureClientCert, ensureServingCert, writeKubeconfig } from './pki.ts';
import { containerdToml, cniConflist, kubeletConfig, kubeProxyConfig, nodeCgroup, nodeDirs, nodeLabelsFlag } from './node-config.ts';
import { apiReady, kubectl, nodes } from './kubectl.ts';
import { daemons, inNetns, run, startDaemon, tryRun, waitFor, type Daemon } from './sh.ts';
import { startFakeNodes } from './fake-nodes.ts';
import { flaggerAddonUp } from './addons.ts';

export interface LocalUpOptions {
  nodes: number;
  fakeNodes: number;
  /** NetworkPolicy enforcer on every node; default `netpol`. */
  enforcer?: Enforcer;
  /** Add-ons to start on top (kept in lab.json: a later `lab up` restarts them). */
  addons?: AddonName[];
  paths?: LabPaths;
  /** Progress lines (the CLI prints them; tests may collect them). */
  log?: (line: string) => void;
}

export interface LabSpec {
  provider: 'local';
  nodes: number;
  fakeNodes: number;
  /** Absent in specs written before the choice existed: `netpol`. */
  enforcer?: Enforcer;
  addons?: AddonName[];
  createdAt: string;
}

export const specFile = (p: LabPaths): string => join(p.state, 'lab.json');

export function readSpec(p: LabPaths): LabSpec | undefined {
  try {
    return JSON.parse(readFileSync(specFile(p), 'utf8')) as LabSpec;
  } catch {
    return undefined;
  }
}

const REQUIRED = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'kubectl', 'coredns', 'gauntlet-demo'];

export function missingTools(p: LabPaths, enforcer: Enforcer = 'netpol'): string[] {
  const tools = [...REQUIRED, ENFORCER_TOOL[enforcer]].filter((t) => !existsSync(join(p.bin, t)));
  for (const ref of Object.values(IMAGES)) if (!existsSync(join(p.images, imageTarball(ref)))) tools.push(ref);
  return tools;
}

/** Start a daemon unless its pidfile names a live process. */
function ensureDaemon(p: LabPaths, d: Daemon): boolean {
  if (daemons(p.state).some((x) => x.name === d.name && x.alive)) return false;
  startDaemon(p.state, d);
  return true;
}

async function pki(p: LabPaths, specs: NodeSpec[]): Promise<void> {
  const dir = cp.pkiDir(p);
  await ensureCa(dir);
  await ensureServingCert(dir);
  await ensureClientCert(dir, { name: 'apiserver-kubelet-client', cn: 'kube-apiserver-kubelet-client', org: 'system:masters' });
  mkdirSync(join(p.state, 'kubeconfigs'), { recursive: true });
  await writeKubeconfig(dir, { name: 'admin', cn: 'gauntlet-lab-admin', org: 'system:masters' }, p.kubeconfig);
  const clients = [
    { name: 'controller-manager', cn: 'system:kube-controller-manager' },
    { name: 'scheduler', cn: 'system:kube-scheduler' },
    { name: 'kube-proxy', cn: 'system:kube-proxy' },
    { name: 'coredns', cn: 'gauntlet:coredns' },
    { name: 'netpol', cn: 'gauntlet:netpol' },
    ...specs.map((n) => ({ name: n.name, cn: `system:node:${n.name}`, org: 'system:nodes' })),
  ];
  for (const c of clients) await writeKubeconfig(dir, c, cp.kubeconfigFor(p, c.name));
}

/**
 * A node's daemons: containerd first, then the kubelet and kube-proxy, and the policy enforcer apart:
 * it starts once the node's Node object exists (kube-router exits at start without it).
 */
export function nodeDaemons(p: LabPaths, n: NodeSpec, enforcer: Enforcer): { containerd: Daemon; rest: Daemon[]; enforcer: Daemon } {
  const d = nodeDirs(p.state, n);
  return {
    containerd: { name: `${n.name}-containerd`, netns: n.netns, cmd: 'containerd', args: ['--config', join(d.root, 'containerd.toml')] },
    rest: [
      {
        name: `${n.name}-kubelet`, netns: n.netns, cmd: join(p.bin, 'kubelet'),
        args: [`--config=${join(d.root, 'kubelet.yaml')}`, `--kubeconfig=${cp.kubeconfigFor(p, n.name)}`, `--hostname-override=${n.name}`,
          `--node-ip=${n.ip}`, `--node-labels=${nodeLabelsFlag(n)}`, `--root-dir=${d.kubelet}`, `--cert-dir=${join(d.root, 'pki')}`, '--v=1'],
      },
      { name: `${n.name}-kube-proxy`, netns: n.netns, cmd: join(p.bin, 'kube-proxy'), args: [`--config=${join(d.root, 'kube-proxy.yaml')}`, '--v=1'] },
    ],
    enforcer: enforcerDaemon(p, n, enforcer),
  };
}

async function importImages(p: LabPaths, n: NodeSpec): Promise<void> {
  const dirs = nodeDirs(p.state, n);
  // The image build writes a stamp of its sources; a node that imported another build re-imports
  // every image (import replaces the tag), so a rebuilt demo or probe image reaches running nodes.
  const built = readIfExists(join(p.images, '.stamp'));
  const mine = join(dirs.root, 'images.stamp');
  const stale = built !== readIfExists(mine);
  const have = await run('ctr', ['-a', dirs.socket, '-n', 'k8s.io', 'images', 'ls', '-q']);
  for (const ref of Object.values(IMAGES)) {
    if (!stale && have.split('\n').includes(ref)) continue;
    await run('ctr', ['-a', dirs.socket, '-n', 'k8s.io', 'images', 'import', join(p.images, imageTarball(ref))]);
  }
  if (built !== undefined) writeFileSync(mine, built);
}

function readIfExists(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/**
 * Start (or finish starting) a node: containerd, images, kubelet, kube-proxy, and the policy
 * enforcer unless `enforcer: false` (a fresh lab starts it once the node has registered).
 */
export async function startNode(p: LabPaths, n: NodeSpec, opts: { enforcer?: boolean } = {}): Promise<void> {
  const d = nodeDirs(p.state, n);
  for (const dir of [d.root, d.cniConf, d.cniIpam, d.kubelet, d.podLogs, d.runc]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(d.root, 'containerd.toml'), containerdToml(d));
  writeFileSync(join(d.root, 'kubelet.yaml'), kubeletConfig(d, n, join(cp.pkiDir(p), 'ca.crt'), join(p.state, 'resolv.conf')));
  writeFileSync(join(d.root, 'kube-proxy.yaml'), kubeProxyConfig(n, cp.kubeconfigFor(p, 'kube-proxy')));
  ensureCgroup(nodeCgroup(n));
  const ds = nodeDaemons(p, n, readSpec(p)?.enforcer ?? 'netpol');
  ensureDaemon(p, ds.containerd);
  await waitFor(`${n.name} containerd`, () => existsSync(d.socket), 30_000, 200);
  await waitFor(`${n.name} containerd answers`, async () => (await run('ctr', ['-a', d.socket, 'version'])).includes('Server'), 30_000);
  await importImages(p, n);
  for (const x of ds.rest) ensureDaemon(p, x);
  if (opts.enforcer !== false) ensureDaemon(p, ds.enforcer);
}

export async function localUp(opts: LocalUpOptions): Promise<LabSpec> {
  const p = opts.paths ?? labPaths();
  const log = opts.log ?? (() => {});
  const specs = nodeSpecs(opts.nodes);
  mkdirSync(p.state, { recursive: true });
  const spec: LabSpec = readSpec(p) ?? { provider: 'local', nodes: opts.nodes, fakeNodes: opts.fakeNodes, enforcer: opts.enforcer ?? 'netpol', createdAt: new Date().toISOString() };
  const addons = [...new Set([...(spec.addons ?? []), ...(opts.addons ?? [])])];
  writeFileSync(specFile(p), `${JSON.stringify({ ...spec, fakeNodes: Math.max(spec.fakeNodes, opts.fakeNodes), ...(addons.length ? { addons } : {}) }, null, 2)}\n`);

  log('pki and kubeconfigs');
  await pki(p, specs);
  // Pods that use dnsPolicy Default get this; there is deliberately no upstream resolver.
  writeFileSync(join(p.state, 'resolv.conf'), `nameserver ${NET.hostIp}\n`);

  log('network: bridge and namespaces');
  await ensureBridge();
  for (const n of specs) {
    await ensureNetns(n.netns, n.ip, `gl-n${n.index}`);
    await nodeSysctls(n.netns);
    // ClusterIPs are DNATed in the node's own namespace; the route only has to exist for connect().
    await routeReplace(n.netns, [NET.serviceCidr, 'via', NET.hostIp]);
  }
  for (const w of WORLD_HOSTS) await ensureNetns(w.netns, w.ip, `gl-w-${w.name}`.slice(0, 15));

  log('control plane');
  ensureDaemon(p, cp.etcd(p));
  ensureDaemon(p, cp.apiserver(p));
  await waitFor('kube-apiserver /readyz', () => apiReady(p), 120_000, 1000);
  ensureDaemon(p, cp.controllerManager(p));
  ensureDaemon(p, cp.scheduler(p));
  await kubectl(p, ['apply', '-f', '-'], cp.addonManifests());
  writeFileSync(join(p.state, 'Corefile'), cp.corefile(p));
  ensureDaemon(p, cp.coredns(p));

  log('outside world hosts');
  for (const w of WORLD_HOSTS) {
    ensureDaemon(p, {
      name: `world-${w.name}`, netns: w.netns, cmd: join(p.bin, 'gauntlet-demo'),
      args: [`-listen=:${WORLD_PORTS.http}`, `-version=world-${w.name}`, `-tcp-echo=:${WORLD_PORTS.tcp}`, `-udp-echo=:${WORLD_PORTS.udp}`],
    });
  }

  log(`nodes: ${specs.map((n) => n.name).join(', ')}`);
  for (const n of specs) await startNode(p, n, { enforcer: false });

  // Node pod CIDRs come from the controller-manager; CNI config and routes follow them.
  await waitFor('nodes registered with pod CIDRs', async () => {
    const ns = await nodes(p);
    return specs.every((s) => ns.some((n) => n.name === s.name && n.podCidr));
  }, 120_000, 1000);
  await wireNodeNetworks(p, specs);
  // Enforcers once every node is registered (kube-router needs its Node object at start).
  for (const n of specs) ensureDaemon(p, nodeDaemons(p, n, spec.enforcer ?? 'netpol').enforcer);

  if (opts.fakeNodes > 0) {
    log(`fake nodes: ${opts.fakeNodes}`);
    await startFakeNodes(p, opts.fakeNodes);
  }

  log('waiting for nodes Ready');
  await waitFor('all nodes Ready', async () => {
    const ns = await nodes(p);
    return specs.every((s) => ns.some((n) => n.name === s.name && n.ready));
  }, 180_000, 1000);
  // Policies are enforced from the moment `lab up` returns: a probe straight after it is judged.
  const ready = enforcerReadyCheck(spec.enforcer ?? 'netpol');
  await waitFor('the NetworkPolicy enforcer\'s rules on every node', async () => {
    for (const n of specs) if (!await tryRun(...inNetns(n.netns, ...ready))) return false;
    return true;
  }, 60_000, 500);
  if (addons.includes('flagger')) await flaggerAddonUp(p, log);
  return readSpec(p)!;
}

/** Write each node's CNI config for its pod CIDR and route every pod subnet everywhere it must reach. */
export async function wireNodeNetworks(p: LabPaths, specs: NodeSpec[]): Promise<void> {
  const ns = await nodes(p);
  const cidrs = specs.map((s) => ({ node: s, cidr: ns.find((n) => n.name === s.name)!.podCidr! }));
  for (const { node, cidr } of cidrs) {
    const d = nodeDirs(p.state, node);
    const conf = join(d.cniConf, '10-gauntlet-lab.conflist');
    const body = cniConflist(d, cidr);
    if (!existsSync(conf) || readFileSync(conf, 'utf8') !== body) writeFileSync(conf, body);
    await podRoutes(node.netns, cidrs.filter((c) => c.node !== node).map((c) => ({ cidr: c.cidr, via: c.node.ip })));
  }
  const all = cidrs.map((c) => ({ cidr: c.cidr, via: c.node.ip }));
  if (await bridgeUp()) await podRoutes(undefined, all);
  for (const w of WORLD_HOSTS) await podRoutes(w.netns, all);
  // The host reaches ClusterIPs through the nodes' kube-proxies (they masquerade non-pod sources).
  const hops = specs.flatMap((s) => ['nexthop', 'via', s.ip]);
  await routeReplace(undefined, [NET.serviceCidr, ...hops]);
}
