/**
 * Config files for one real worker node: its containerd, CNI network, kubelet and kube-proxy.
 * Pure functions of the node and its directory, so they are unit-tested without root.
 */
import { join } from 'node:path';
import { IMAGES, NET, TIMINGS, type NodeSpec } from '../../config.ts';

export interface NodeDirs {
  root: string;
  containerdRoot: string;
  containerdState: string;
  socket: string;
  cniConf: string;
  cniIpam: string;
  kubelet: string;
  podLogs: string;
  runc: string;
}

export function nodeDirs(state: string, node: NodeSpec): NodeDirs {
  const root = join(state, 'nodes', node.name);
  return {
    root,
    containerdRoot: join(root, 'containerd'),
    containerdState: join(root, 'containerd-state'),
    // Unix socket paths are capped at 108 bytes; this stays well under for usual homes.
    socket: join(root, 'containerd.sock'),
    cniConf: join(root, 'cni', 'net.d'),
    cniIpam: join(root, 'cni', 'ipam'),
    kubelet: join(root, 'kubelet'),
    podLogs: join(root, 'pod-logs'),
    runc: join(root, 'runc'),
  };
}

/** The kubelet's cgroup root: every pod of the node lives below it, so teardown can find them all. */
export const CGROUP_ROOT = '/gauntlet-lab';
export const nodeCgroup = (node: NodeSpec): string => `${CGROUP_ROOT}/${node.name}`;

export function containerdToml(d: NodeDirs): string {
  return `version = 2
root = "${d.containerdRoot}"
state = "${d.containerdState}"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "${d.socket}"

[ttrpc]
  address = "${d.socket}.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "${join(d.root, 'opt')}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${IMAGES.pause}"
  # Pod network namespaces under this node's state dir, so teardown finds every one.
  netns_mounts_under_state_dir = true
  enable_selinux = false
  # The lab may run without CAP_SYS_RESOURCE (as here): keep pod oom_score_adj >= our own.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "${d.runc}"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${d.cniConf}"
`;
}

/** Standard CNI plugins: a bridge per node with host-local IPAM on the node's pod CIDR. No masquerade. */
export function cniConflist(d: NodeDirs, podCidr: string): string {
  return `${JSON.stringify(
    {
      cniVersion: '0.4.0',
      name: 'gauntlet-lab',
      plugins: [
        {
          type: 'bridge',
          bridge: 'cni0',
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet: podCidr }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: d.cniIpam },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  )}\n`;
}

export function kubeletConfig(d: NodeDirs, node: NodeSpec, caFile: string, resolvConf: string): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${node.ip}
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: ${caFile}}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
cgroupRoot: ${nodeCgroup(node)}
cgroupsPerQOS: true
enforceNodeAllocatable: [pods]
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://${d.socket}
clusterDNS: [${NET.dnsServiceIp}]
clusterDomain: ${NET.clusterDomain}
resolvConf: ${resolvConf}
podLogsDir: ${d.podLogs}
nodeStatusUpdateFrequency: ${TIMINGS.nodeStatusUpdateFrequencySeconds}s
nodeLeaseDurationSeconds: ${TIMINGS.nodeLeaseDurationSeconds}
# Lab images cannot be pulled again, so the kubelet must never garbage-collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
serializeImagePulls: false
maxPods: 60
`;
}

export function kubeProxyConfig(node: NodeSpec, kubeconfig: string): string {
  return `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: ${kubeconfig}}
hostnameOverride: ${node.name}
mode: iptables
clusterCIDR: ${NET.podCidr}
detectLocalMode: ClusterCIDR
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
# 0 leaves the host-wide conntrack table alone: it is not the lab's to resize.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
`;
}

export function nodeLabelsFlag(node: NodeSpec): string {
  return Object.entries(node.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
