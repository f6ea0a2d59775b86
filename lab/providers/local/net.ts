/**
 * The lab's network: one host bridge, one network namespace per node and per outside-world host,
 * each joined to the bridge by a veth. Namespaces get routes for lab ranges only (never a default
 * route), and the host does not forward, so no lab packet can reach the uplink.
 */
import { existsSync, readdirSync } from 'node:fs';
import { NET } from '../../config.ts';
import { run, tryRun } from './sh.ts';

export const NETNS_PREFIX = 'gl-';

const netnsExists = (name: string): boolean => existsSync(`/run/netns/${name}`);
const linkExists = async (name: string): Promise<boolean> => tryRun('ip', ['link', 'show', name]);

export async function ensureBridge(): Promise<void> {
  if (!(await linkExists(NET.bridge))) {
    await run('ip', ['link', 'add', NET.bridge, 'type', 'bridge']);
  }
  await tryRun('ip', ['addr', 'add', `${NET.hostIp}/${NET.prefix}`, 'dev', NET.bridge]);
  await run('ip', ['link', 'set', NET.bridge, 'up']);
}

/** A namespace with `eth0` at `ip` on the lab bridge; the host end is named `hostIf` (<= 15 chars). */
export async function ensureNetns(name: string, ip: string, hostIf: string): Promise<void> {
  if (!netnsExists(name)) await run('ip', ['netns', 'add', name]);
  const ns = ['-n', name];
  if (!(await tryRun('ip', [...ns, 'link', 'show', 'eth0']))) {
    await tryRun('ip', ['link', 'del', hostIf]);
    await run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name]);
  }
  await run('ip', ['link', 'set', hostIf, 'master', NET.bridge, 'up']);
  await tryRun('ip', [...ns, 'addr', 'add', `${ip}/${NET.prefix}`, 'dev', 'eth0']);
  await run('ip', [...ns, 'link', 'set', 'lo', 'up']);
  await run('ip', [...ns, 'link', 'set', 'eth0', 'up']);
}

/** Sysctls a node namespace needs: forwarding between its pods and the bridge, bridged traffic through netfilter. */
export async function nodeSysctls(netns: string): Promise<void> {
  for (const kv of ['net.ipv4.ip_forward=1', 'net.bridge.bridge-nf-call-iptables=1', 'net.ipv4.conf.all.rp_filter=0']) {
    await run('nsenter', [`--net=/run/netns/${netns}`, '--', 'sysctl', '-q', '-w', kv]);
  }
}

/** `ip route replace` in a namespace (or on the host when netns is undefined). */
export async function routeReplace(netns: string | undefined, args: string[]): Promise<void> {
  await run('ip', [...(netns === undefined ? [] : ['-n', netns]), 'route', 'replace', ...args]);
}

/** Pod subnets of the other nodes are reached through those nodes' addresses on the bridge. */
export async function podRoutes(netns: string | undefined, podCidrs: { cidr: string; via: string }[]): Promise<void> {
  for (const r of podCidrs) if (r.via !== undefined) await routeReplace(netns, [r.cidr, 'via', r.via]);
}

export function labNetns(): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith(NETNS_PREFIX));
  } catch {
    return [];
  }
}

/** Remove every lab namespace and the bridge; veths and routes go with them. */
export async function teardownNetwork(): Promise<void> {
  for (const ns of labNetns()) await tryRun('ip', ['netns', 'del', ns]);
  if (await linkExists(NET.bridge)) await tryRun('ip', ['link', 'del', NET.bridge]);
}

export async function bridgeUp(): Promise<boolean> {
  return linkExists(NET.bridge);
}
