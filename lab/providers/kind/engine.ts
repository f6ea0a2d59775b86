/**
 * The kind provider's door to podman, kind and the host's network: every command it runs goes
 * through here (and through local/sh.ts, the lab's door to child processes).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError } from '../../../core/errors.ts';
import { run, tryRun } from '../local/sh.ts';
import { KIND, guardRuleset, lockDownNetworkConf, type KindPaths } from './config.ts';

/** kind drives podman (there is no Docker engine here) on the provider's own network. */
export const KIND_ENV = { KIND_EXPERIMENTAL_PROVIDER: 'podman', KIND_EXPERIMENTAL_PODMAN_NETWORK: KIND.network } as const;
/** Where podman (CNI backend) keeps the provider network's config; `lab down` removes it with the network. */
export const CNI_CONF = `/etc/cni/net.d/${KIND.network}.conflist`;

export const kind = (p: KindPaths, args: string[], input?: string): Promise<string> => run(join(p.bin, 'kind'), args, input, KIND_ENV);
export const podman = (args: string[], input?: string): Promise<string> => run('podman', args, input);
export const tryPodman = (args: string[]): Promise<boolean> => tryRun('podman', args);

export async function podmanAnswers(): Promise<boolean> {
  return tryRun('podman', ['info', '--format', '{{.Host.OCIRuntime.Name}}']);
}

export interface Container {
  name: string;
  running: boolean;
  ip?: string;
}

/** The cluster's node containers, by kind's label. */
export async function clusterContainers(): Promise<Container[]> {
  if (!(await podmanAnswers())) return [];
  const names = (await podman(['ps', '-a', '--filter', `label=io.x-k8s.kind.cluster=${KIND.cluster}`, '--format', '{{.Names}}'])).split('\n').filter(Boolean);
  const res: Container[] = [];
  for (const name of names) {
    const out = (await podman(['inspect', '-f', `{{.State.Running}} {{with index .NetworkSettings.Networks "${KIND.network}"}}{{.IPAddress}}{{end}}`, name]).catch(() => '')).trim();
    const [running, ip] = out.split(' ');
    res.push({ name, running: running === 'true', ...(ip ? { ip } : {}) });
  }
  return res.sort((a, b) => a.name.localeCompare(b.name));
}

export async function execIn(container: string, script: string, input?: string): Promise<string> {
  return podman(['exec', ...(input === undefined ? [] : ['-i']), container, 'sh', '-ec', script], input);
}

/**
 * The podman network for the nodes, locked down (lockDownNetworkConf): no NAT, no default route, no
 * DNS forwarder, no port-forward rules; the bridge is created and addressed here so the host
 * reaches the nodes without podman turning on forwarding.
 */
export async function ensureNetwork(): Promise<void> {
  if (!(await tryPodman(['network', 'exists', KIND.network]))) {
    await podman(['network', 'create', '--disable-dns', '--subnet', KIND.subnet, '--gateway', KIND.hostIp, KIND.network]);
  }
  const conf = readFileSync(CNI_CONF, 'utf8');
  const locked = lockDownNetworkConf(conf);
  if (locked !== conf) writeFileSync(CNI_CONF, locked);
  if (!(await tryRun('ip', ['link', 'show', KIND.bridge]))) await run('ip', ['link', 'add', KIND.bridge, 'type', 'bridge']);
  await tryRun('ip', ['addr', 'add', `${KIND.hostIp}/${KIND.prefix}`, 'dev', KIND.bridge]);
  await run('ip', ['link', 'set', KIND.bridge, 'up']);
}

export async function removeNetwork(): Promise<void> {
  await tryPodman(['network', 'rm', '-f', KIND.network]);
  if (await tryRun('ip', ['link', 'show', KIND.bridge])) await tryRun('ip', ['link', 'del', KIND.bridge]);
}

export async function ensureGuard(): Promise<void> {
  await tryRun('nft', ['delete', 'table', 'inet', KIND.guardTable]);
  await run('nft', ['-f', '-'], guardRuleset());
}

export async function removeGuard(): Promise<void> {
  await tryRun('nft', ['delete', 'table', 'inet', KIND.guardTable]);
}

export async function guardPresent(): Promise<boolean> {
  return tryRun('nft', ['list', 'table', 'inet', KIND.guardTable]);
}

export async function requireEngine(p: KindPaths): Promise<void> {
  if (!(await tryRun(join(p.bin, 'kind'), ['version']))) {
    throw new InfraError(`the kind provider needs kind at ${join(p.bin, 'kind')}`, { hint: 'run scripts/tools/install-kind.sh (or setup with GAUNTLET_LAB_PROVIDERS=kind)' });
  }
  if (!(await podmanAnswers())) {
    throw new InfraError('the kind provider needs podman, and it does not answer here', { hint: 'run scripts/tools/install-kind.sh, or use --provider local' });
  }
  if (!(await tryPodman(['image', 'exists', KIND.nodeImage]))) {
    throw new InfraError(`the kind node image ${KIND.nodeImage} is not built`, { hint: 'run scripts/tools/build-kind-node.sh' });
  }
}

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

/**
 * podman turns on the host's IPv4 forwarding when it attaches a container to a bridge network.
 * The kind lab needs none (nodes, world hosts and the host share one bridge), and the local lab
 * relies on the host not forwarding: remember the value before the first podman step, put it back
 * after each one, and at `lab down`.
 */
export async function rememberIpForward(state: string): Promise<void> {
  const file = join(state, 'host-ip-forward');
  if (!existsSync(file)) writeFileSync(file, readFileSync(IP_FORWARD, 'utf8').trim());
}

export async function restoreIpForward(state: string): Promise<void> {
  const file = join(state, 'host-ip-forward');
  if (!existsSync(file)) return;
  const want = readFileSync(file, 'utf8').trim();
  if (readFileSync(IP_FORWARD, 'utf8').trim() !== want) writeFileSync(IP_FORWARD, want);
}

/**
 * podman's CNI set-up adds CNI-FORWARD and CNI-ADMIN chains to the host's iptables filter table
 * (its firewall plugin's bookkeeping, even with the plugin dropped from the provider's network).
 * Removed at `lab down` while they hold nothing but podman's own jump.
 */
export async function podmanChains(): Promise<string[]> {
  const out = await run('iptables', ['-S']).catch(() => '');
  return [...new Set(out.split('\n').flatMap((l) => /^-N (CNI-[A-Z0-9-]+)$/.exec(l)?.[1] ?? []))];
}

export async function removePodmanChains(): Promise<void> {
  const rules = await run('iptables', ['-S']).catch(() => '');
  const foreign = rules.split('\n').filter((l) => l.startsWith('-A CNI-') && !/^-A CNI-FORWARD (-m comment --comment "CNI firewall plugin admin overrides" )?-j CNI-ADMIN$/.test(l));
  if (foreign.length > 0) return;
  await tryRun('iptables', ['-D', 'FORWARD', '-m', 'comment', '--comment', 'CNI firewall plugin rules', '-j', 'CNI-FORWARD']);
  await tryRun('iptables', ['-D', 'FORWARD', '-j', 'CNI-FORWARD']);
  for (const c of ['CNI-FORWARD', 'CNI-ADMIN']) {
    await tryRun('iptables', ['-F', c]);
    await tryRun('iptables', ['-X', c]);
  }
  // iptables-nft leaves its tables behind, empty: drop them while they hold no rule (nobody's).
  for (const t of ['nat', 'filter']) {
    const j = await run('nft', ['-j', 'list', 'table', 'ip', t]).catch(() => undefined);
    if (j !== undefined && !(JSON.parse(j) as { nftables: Record<string, unknown>[] }).nftables.some((x) => 'rule' in x)) await tryRun('nft', ['delete', 'table', 'ip', t]);
  }
}
