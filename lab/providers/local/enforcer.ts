/**
 * The per-node NetworkPolicy enforcer daemon. Both run in the node's network namespace with the
 * reader kubeconfig (`gauntlet:netpol`: get/list/watch pods, namespaces, nodes, networkpolicies) and
 * both accept traffic whose source is the node itself, so probes start in pods.
 */
import { join } from 'node:path';
import { NET, NETPOL_TABLE, type Enforcer, type LabPaths, type NodeSpec } from '../../config.ts';
import { kubeconfigFor } from './controlplane.ts';
import type { Daemon } from './sh.ts';

/** The binary under the tool cache each enforcer needs. */
export const ENFORCER_TOOL: Record<Enforcer, string> = { netpol: 'gauntlet-netpol', 'kube-router': 'kube-router' };

export function enforcerDaemon(p: LabPaths, n: NodeSpec, enforcer: Enforcer): Daemon {
  const kubeconfig = kubeconfigFor(p, 'netpol');
  if (enforcer === 'netpol') {
    return { name: `${n.name}-netpol`, netns: n.netns, cmd: join(p.bin, ENFORCER_TOOL.netpol), args: [`-kubeconfig=${kubeconfig}`, `-node=${n.name}`] };
  }
  return {
    name: `${n.name}-kube-router`, netns: n.netns, cmd: join(p.bin, ENFORCER_TOOL['kube-router']),
    args: [
      `--kubeconfig=${kubeconfig}`, `--hostname-override=${n.name}`,
      // Only the firewall: the lab's bridge CNI routes pods and kube-proxy serves Services.
      '--run-firewall=true', '--run-router=false', '--run-service-proxy=false', '--run-loadbalancer=false',
      `--service-cluster-ip-range=${NET.serviceCidr}`,
      // No listeners: health and metrics ports off (every node shares the host's loopback only via its own netns, but nothing reads them).
      '--health-port=0', '--metrics-port=0', '--v=1',
    ],
  };
}

/**
 * A command that succeeds in the node's network namespace once its enforcer has put rules in place:
 * gauntlet-netpol's table (written whole on its first apply), kube-router's top-level forward chain
 * (made before its first full policy sync).
 */
export function enforcerReadyCheck(enforcer: Enforcer): [string, string[]] {
  return enforcer === 'netpol' ? ['nft', ['list', 'table', 'inet', NETPOL_TABLE]] : ['iptables', ['-w', '-S', 'KUBE-ROUTER-FORWARD']];
}
