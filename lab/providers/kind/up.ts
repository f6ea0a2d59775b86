/**
 * `lab up|down --provider kind`: a kind cluster on podman with the node image built here, shaped
 * like the local lab (control plane + labelled workers, world hosts, NetworkPolicy enforcer,
 * shortened timings), and nothing routed, NATed or resolved off the machine.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGES, WORLD_PORTS, imageTarball } from '../../config.ts';
import { ensureNetns, labNetnsWith } from './netns.ts';
import { daemons, run, startDaemon, stopPids, tryRun, waitFor } from '../local/sh.ts';
import { KIND, KIND_WORLD_HOSTS, addonManifests, kindCniConflist, kindConfig, kindNodes, parseImageTags, type KindPaths } from './config.ts';
import { CNI_CONF, clusterContainers, podmanChains, removePodmanChains, ensureGuard, ensureNetwork, execIn, guardPresent, kind, podman, rememberIpForward, removeGuard, removeNetwork, requireEngine, restoreIpForward, type Container } from './engine.ts';

export interface KindSpec {
  provider: 'kind';
  nodes: number;
  createdAt: string;
}

export const kindSpecFile = (p: KindPaths): string => join(p.state, 'lab.json');

export function readKindSpec(p: KindPaths): KindSpec | undefined {
  try {
    return JSON.parse(readFileSync(kindSpecFile(p), 'utf8')) as KindSpec;
  } catch {
    return undefined;
  }
}

export const kubectlKind = (p: KindPaths, args: string[], input?: string): Promise<string> =>
  run(join(p.bin, 'kubectl'), [`--kubeconfig=${p.kubeconfig}`, '--request-timeout=20s', ...args], input);

interface ApiNode {
  name: string;
  podCidr?: string;
  ready: boolean;
}

export async function apiNodes(p: KindPaths): Promise<ApiNode[]> {
  const j = JSON.parse(await kubectlKind(p, ['get', 'nodes', '-o', 'json'])) as { items: { metadata: { name: string }; spec: { podCIDR?: string }; status: { conditions?: { type: string; status: string }[] } }[] };
  return j.items.map((n) => ({ name: n.metadata.name, podCidr: n.spec.podCIDR, ready: n.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false }));
}

/**
 * Every node must resolve the control plane by name (kubeadm join, then the kubelet's kubeconfig)
 * with no DNS server that could forward: each node's /etc/hosts lists every node.
 */
export async function writeHosts(cs: Container[]): Promise<void> {
  const lines = cs.filter((c) => c.ip).map((c) => `${c.ip} ${c.name}`);
  if (lines.length === 0) return;
  const block = `# gauntlet-kind\n${lines.join('\n')}\n# /gauntlet-kind\n`;
  for (const c of cs.filter((x) => x.running)) {
    // podman bind-mounts /etc/hosts: rewrite it in place (sed -i would rename over the mount).
    await execIn(c.name, 'h=$(sed "/^# gauntlet-kind$/,/^# \\/gauntlet-kind$/d" /etc/hosts); { printf "%s\\n" "$h"; cat; } > /etc/hosts', block).catch(() => undefined);
  }
}

/** After (re)start: forwarding inside the node (pods), bridged pod traffic through its netfilter (the enforcer). */
async function nodeSysctls(c: string): Promise<void> {
  await execIn(c, 'sysctl -q -w net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0; modprobe br_netfilter 2>/dev/null || true; sysctl -q -w net.bridge.bridge-nf-call-iptables=1 || true');
}

/** CNI config for each node's pod CIDR, and routes between nodes' pod ranges, for the host and the world hosts too. */
export async function wireKindNetworks(p: KindPaths): Promise<void> {
  const cs = await clusterContainers();
  const ns = await apiNodes(p);
  const cidrs = cs.flatMap((c) => {
    const n = ns.find((x) => x.name === c.name);
    return n?.podCidr && c.ip ? [{ node: c.name, ip: c.ip, cidr: n.podCidr, running: c.running }] : [];
  });
  for (const c of cidrs.filter((x) => x.running)) {
    await nodeSysctls(c.node);
    await execIn(c.node, 'mkdir -p /etc/cni/net.d; cat > /etc/cni/net.d/10-gauntlet-kind.conflist.tmp; mv /etc/cni/net.d/10-gauntlet-kind.conflist.tmp /etc/cni/net.d/10-gauntlet-kind.conflist', kindCniConflist(c.cidr));
    // Nodes have no default route: connect() to a ClusterIP needs a route before kube-proxy's DNAT
    // (the host, ip_forward off and guarded, never forwards it anywhere).
    const routes = [...cidrs.filter((o) => o.node !== c.node).map((o) => `ip route replace ${o.cidr} via ${o.ip}`), `ip route replace ${KIND.serviceCidr} via ${KIND.hostIp}`];
    await execIn(c.node, routes.join('; '));
  }
  for (const o of cidrs) {
    await run('ip', ['route', 'replace', o.cidr, 'via', o.ip, 'dev', KIND.bridge]);
    for (const w of KIND_WORLD_HOSTS) await run('ip', ['-n', w.netns, 'route', 'replace', o.cidr, 'via', o.ip]);
  }
  await routeServices(cs);
}

/**
 * The host reaches ClusterIPs through the nodes' kube-proxies (they masquerade non-pod sources):
 * one multipath route over the running nodes, `except` left out. The route hashes by address, so
 * all of the host's traffic to one ClusterIP takes one node: a stopped node must leave the route
 * before it stops (on the local lab a stopped node's kube-proxy keeps running; here it goes with
 * the container), or the host loses the Service while the cluster still serves it.
 */
export async function routeServices(cs: Container[], except?: string): Promise<void> {
  const hops = cs.filter((c) => c.running && c.ip && c.name !== except).flatMap((c) => ['nexthop', 'via', c.ip!, 'dev', KIND.bridge]);
  if (hops.length > 0) await run('ip', ['route', 'replace', KIND.serviceCidr, ...hops]);
}

function worldDaemons(p: KindPaths) {
  return KIND_WORLD_HOSTS.map((w) => ({
    name: `world-${w.name}`, netns: w.netns, cmd: join(p.bin, 'gauntlet-demo'),
    args: [`-listen=${w.ip}:${WORLD_PORTS.http}`, `-version=world-${w.name}`, `-tcp-echo=${w.ip}:${WORLD_PORTS.tcp}`, `-udp-echo=${w.ip}:${WORLD_PORTS.udp}`],
  }));
}

async function worldHostsUp(p: KindPaths): Promise<void> {
  for (const w of KIND_WORLD_HOSTS) await ensureNetns(w.netns, w.ip, `gk-w-${w.name}`.slice(0, 15));
  const running = daemons(p.state);
  for (const d of worldDaemons(p)) if (!running.some((x) => x.name === d.name && x.alive)) startDaemon(p.state, d);
}

const imagesStamp = (p: KindPaths): string => (existsSync(join(p.images, '.stamp')) ? readFileSync(join(p.images, '.stamp'), 'utf8').trim() : 'none');

export interface KindUpOptions {
  nodes: number;
  paths: KindPaths;
  log?: (line: string) => void;
}

export async function kindUp(opts: KindUpOptions): Promise<KindSpec> {
  const p = opts.paths;
  const log = opts.log ?? (() => {});
  await requireEngine(p);
  mkdirSync(p.state, { recursive: true });
  const spec: KindSpec = readKindSpec(p) ?? { provider: 'kind', nodes: opts.nodes, createdAt: new Date().toISOString() };
  writeFileSync(kindSpecFile(p), `${JSON.stringify(spec, null, 2)}\n`);

  log('network: podman network, bridge, host guard');
  await rememberIpForward(p.state);
  await ensureGuard();
  await ensureNetwork();
  await worldHostsUp(p);

  const clusters = (await kind(p, ['get', 'clusters'])).split('\n');
  if (!clusters.includes(KIND.cluster)) {
    // --network none: a container on podman's default network would leave its bridge and NAT rules on the host.
    const tags = parseImageTags(await podman(['run', '--rm', '--network', 'none', '--entrypoint', 'cat', KIND.nodeImage, '/kind/gauntlet-images']));
    // The node image carries the demo and probe images built with these lab images: nothing to load.
    if (tags.workloads !== '' && tags.workloads === imagesStamp(p)) writeFileSync(join(p.state, 'images.stamp'), tags.workloads);
    writeFileSync(join(p.state, 'kind.yaml'), kindConfig(opts.nodes, tags));
    writeFileSync(join(p.state, 'addons.yaml'), addonManifests(tags));
    log(`kind create cluster (${opts.nodes} workers, image ${KIND.nodeImage})`);
    // kind creates every container, then runs kubeadm init, then join: /etc/hosts entries written
    // meanwhile reach the workers before (or while) kubeadm join retries its discovery.
    let done = false;
    const hosts = (async () => {
      const deadline = Date.now() + 300_000;
      let seen = '';
      while (!done && Date.now() < deadline) {
        const cs = await clusterContainers().catch(() => []);
        const key = cs.map((c) => `${c.name}=${c.ip}:${c.running}`).join(',');
        if (key !== seen && cs.length > 0) {
          await writeHosts(cs);
          seen = key;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    try {
      await kind(p, ['create', 'cluster', `--config=${join(p.state, 'kind.yaml')}`, `--image=${KIND.nodeImage}`, `--kubeconfig=${join(p.state, 'kind-kubeconfig')}`]);
    } finally {
      done = true;
      await hosts;
      await restoreIpForward(p.state);
    }
  }
  const cs = await clusterContainers();
  await writeHosts(cs);
  const cp = cs.find((c) => c.name === `${KIND.cluster}-control-plane`);
  if (cp?.ip === undefined) throw new Error('the control-plane container has no address');
  // kind's kubeconfig goes through a published port; the provider publishes none (no host rules): straight to the node.
  const kc = readFileSync(join(p.state, 'kind-kubeconfig'), 'utf8').replace(/server: https:\/\/[^\s]+/, `server: https://${cp.ip}:6443`)
    // Same context name as the local lab's, so scenarios (target.context) run on either provider.
    .replaceAll(`kind-${KIND.cluster}`, 'gauntlet-lab');
  writeFileSync(p.kubeconfig, kc, { mode: 0o600 });

  log('node networks: CNI per node, routes');
  await waitFor('nodes registered with pod CIDRs', async () => {
    const ns = await apiNodes(p);
    return kindNodes(spec.nodes).every((k) => ns.some((n) => n.name === k.container && n.podCidr));
  }, 120_000, 1000);
  await wireKindNetworks(p);

  log('CoreDNS (no forward) and the NetworkPolicy enforcer on every node');
  await kubectlKind(p, ['apply', '-f', join(p.state, 'addons.yaml')]);

  const loaded = join(p.state, 'images.stamp');
  const built = imagesStamp(p);
  if (!existsSync(loaded) || readFileSync(loaded, 'utf8') !== built) {
    log('images: kind load image-archive (the node image has other demo/probe images: scripts/tools/build-kind-node.sh bakes them in)');
    for (const ref of [IMAGES.demoV1, IMAGES.demoV2, IMAGES.probe]) {
      await kind(p, ['load', 'image-archive', join(p.images, imageTarball(ref)), `--name=${KIND.cluster}`]);
    }
    writeFileSync(loaded, built);
  }

  log('waiting for nodes Ready');
  await waitFor('all nodes Ready', async () => {
    const ns = await apiNodes(p);
    return kindNodes(spec.nodes).every((k) => ns.some((n) => n.name === k.container && n.ready));
  }, 180_000, 1000);
  await waitFor('CoreDNS ready', async () => (await kubectlKind(p, ['-n', 'kube-system', 'get', 'deploy', 'coredns', '-o', 'jsonpath={.status.readyReplicas}'])).trim() === '1', 120_000, 1000);
  // Ready = its first ruleset is in place (the DaemonSet's readiness probe): policies hold once \`lab up\` returns.
  const want = kindNodes(spec.nodes).length;
  await waitFor('the NetworkPolicy enforcer ready on every node', async () => {
    const st = JSON.parse(await kubectlKind(p, ['-n', 'kube-system', 'get', 'ds', 'gauntlet-netpol', '-o', 'jsonpath={.status}'])) as { numberReady?: number; updatedNumberScheduled?: number };
    return st.numberReady === want && st.updatedNumberScheduled === want;
  }, 120_000, 1000);
  return spec;
}

export interface KindDownResult {
  stoppedProcesses: number;
  unmounted: number;
  leftovers: string[];
}

/** What the provider made and `down` must remove: anything still listed afterwards is a leftover. */
export async function kindLeftovers(): Promise<string[]> {
  const out: string[] = [];
  for (const c of await clusterContainers()) out.push(`container: ${c.name}`);
  if (await tryRun('podman', ['network', 'exists', KIND.network])) out.push(`podman network: ${KIND.network}`);
  if (await tryRun('ip', ['link', 'show', KIND.bridge])) out.push(`bridge: ${KIND.bridge}`);
  const links = await run('ip', ['-o', 'link', 'show']).catch(() => '');
  for (const l of links.split('\n')) {
    const name = l.split(':')[1]?.trim().split('@')[0];
    if (name?.startsWith('gk-')) out.push(`link: ${name}`);
  }
  if (existsSync(CNI_CONF)) out.push(`file: ${CNI_CONF}`);
  if (await guardPresent()) out.push(`nftables table: inet ${KIND.guardTable}`);
  for (const c of await podmanChains()) out.push(`iptables chain: ${c}`);
  for (const n of labNetnsWith(KIND.netnsPrefix)) out.push(`network namespace: ${n}`);
  if (await tryRun('podman', ['info'])) {
    const vols = (await podman(['volume', 'ls', '-q', '--filter', 'dangling=true']).catch(() => '')).split('\n').filter(Boolean);
    for (const v of vols) out.push(`podman volume: ${v}`);
    const imgs = (await podman(['images', '--format', '{{.Repository}}:{{.Tag}}']).catch(() => '')).split('\n').filter(Boolean);
    for (const i of imgs) if (i !== KIND.nodeImage) out.push(`podman image: ${i}`);
  }
  const routes = await run('ip', ['route', 'show']).catch(() => '');
  for (const r of routes.split('\n')) if (r.startsWith('10.74.') || r.startsWith('10.75.') || r.includes(KIND.bridge)) out.push(`route: ${r.trim()}`);
  return out;
}

export async function kindDown(p: KindPaths): Promise<KindDownResult> {
  let stopped = 0;
  // Kill the node containers at once: `kind delete cluster` stops each through systemd's shutdown
  // (STOPSIGNAL SIGRTMIN+3, then podman's timeout), tens of seconds for a lab about to be deleted.
  // Then their /var volumes, which kind labels with the node's name (kind's delete finds no node left to do it).
  const cs = await clusterContainers();
  if (cs.length > 0) await tryRun('podman', ['rm', '-f', '-t', '0', '-v', ...cs.map((c) => c.name)]);
  stopped += cs.length;
  for (const c of cs) {
    const vols = (await podman(['volume', 'ls', '-q', '--filter', `label=${c.name}`]).catch(() => '')).split('\n').filter(Boolean);
    if (vols.length > 0) await tryRun('podman', ['volume', 'rm', '-f', ...vols]);
  }
  if (await tryRun(join(p.bin, 'kind'), ['version'])) await kind(p, ['delete', 'cluster', `--name=${KIND.cluster}`]).catch(() => '');
  // Containers kind did not get to (a crashed up): by label.
  for (const c of await clusterContainers()) {
    await tryRun('podman', ['rm', '-f', '-v', c.name]);
    stopped++;
  }
  const ds = daemons(p.state).filter((d) => d.alive);
  stopped += ds.length;
  await stopPids(ds.map((d) => d.pid), 3000);
  for (const n of labNetnsWith(KIND.netnsPrefix)) await tryRun('ip', ['netns', 'del', n]);
  await removeNetwork();
  await restoreIpForward(p.state);
  await removeGuard();
  await removePodmanChains();
  await tryRun('ip', ['route', 'del', KIND.serviceCidr]);
  rmSync(p.state, { recursive: true, force: true });
  return { stoppedProcesses: stopped, unmounted: 0, leftovers: await kindLeftovers() };
}
