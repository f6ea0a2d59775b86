/**
 * What a lab leaves on the host, as sets of lines per kind of thing: podman containers, networks,
 * images (every layer id too), volumes; nftables tables, iptables rules (filter and nat); links,
 * routes, network namespaces, mounts; CNI config files and the sysctl the kind provider touches.
 * `leftAfter(before, after)` lists what `after` has that `before` had not: a lab's `down` must
 * leave that empty (the kind node image, cached, is in `before`).
 *
 * The local lab may be up meanwhile on a developer's machine: its own names and ranges (gl-lab0,
 * gl-n*, gl-w-*, gl-node-*, gl-world-*, gl-addons, 10.77-10.79, mounts under its state directory
 * .../gauntlet/lab/) are not counted.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { $ } from 'zx';

const q = $({ quiet: true, verbose: false, nothrow: true });
export type HostState = Record<string, string[]>;

const lines = async (p: Promise<{ stdout: string }>): Promise<string[]> => (await p).stdout.split('\n').map((l) => l.trim()).filter(Boolean);
const ls = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);
const LOCAL_LAB = /\bgl-(lab0|n\d|w-|node-|world-|addons)|\b10\.7[789]\.|gauntlet_lab|gauntlet_uplink_watch|\/gauntlet\/lab\//;

export async function hostState(): Promise<HostState> {
  const s: HostState = {
    'podman container': await lines(q`podman ps -a --format {{.Names}}`),
    'podman network': await lines(q`podman network ls --format {{.Name}}`),
    'podman image': await lines(q`podman images -a --format {{.Repository}}:{{.Tag}}@{{.ID}}`),
    'podman volume': await lines(q`podman volume ls -q`),
    'iptables rule': [...(await lines(q`iptables -S`)), ...(await lines(q`iptables -t nat -S`)).map((l) => `nat ${l}`)],
    // After iptables: iptables-nft may create its (empty) tables when listing.
    'nftables table': await lines(q`nft list tables`),
    link: (await lines(q`ip -o link show`)).map((l) => l.split(':')[1]!.trim().split('@')[0]!),
    route: await lines(q`ip route show`),
    'network namespace': ls('/run/netns'),
    mount: (await lines(q`findmnt -rn -o TARGET`)).filter((m) => /containers|kind|netns/.test(m)),
    'CNI config': ls('/etc/cni/net.d'),
    sysctl: [`net.ipv4.ip_forward=${readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim()}`],
  };
  for (const k of Object.keys(s)) s[k] = s[k]!.filter((l) => !LOCAL_LAB.test(l));
  return s;
}

export function leftAfter(before: HostState, after: HostState): string[] {
  return Object.entries(after).flatMap(([k, v]) => v.filter((x) => !(before[k] ?? []).includes(x)).map((x) => `${k}: ${x}`));
}
