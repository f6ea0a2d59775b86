/**
 * The kind provider's shape, as pure data and pure functions (unit-tested without a container
 * engine): its addresses, the kind cluster config, and the objects applied once the API answers.
 *
 * Addresses do not overlap the local lab's (10.77-10.79), so both labs can be up on one machine:
 * node containers on 10.76.0.0/24 (a podman network whose bridge has no default route, no NAT and
 * no DNS forwarder), pods 10.74.0.0/16, Services 10.75.0.0/16.
 */
import { dirname, join } from 'node:path';
import { NETPOL_TABLE, TIMINGS, WORLD_HOSTS, WORLD_PORTS, nodeSpecs, type LabPaths, type NodeSpec, type WorldHost } from '../../config.ts';

export const K8S_VERSION = 'v1.34.4';

export const KIND = {
  cluster: 'gauntlet-lab',
  /** The podman network the nodes join (created by the provider, not by kind). */
  network: 'gauntlet-kind',
  bridge: 'gl-kind0',
  subnet: '10.76.0.0/24',
  hostIp: '10.76.0.1',
  prefix: 24,
  podCidr: '10.74.0.0/16',
  serviceCidr: '10.75.0.0/16',
  dnsServiceIp: '10.75.0.10',
  clusterDomain: 'cluster.local',
  nodeImage: `localhost/gauntlet-kind-node:${K8S_VERSION}`,
  /** Host nftables table that drops anything routed from the nodes' bridge elsewhere. */
  guardTable: 'gauntlet_kind_guard',
  /** Network namespaces of this provider (never `gl-`: the local lab owns that prefix). */
  netnsPrefix: 'gk-',
  imageRepository: 'gauntlet.local',
} as const;

/** The outside-world hosts, on the kind bridge: same names and ports as the local lab's. */
export const KIND_WORLD_HOSTS: readonly WorldHost[] = WORLD_HOSTS.map((h, i) => ({ ...h, ip: `10.76.0.${201 + i}`, netns: `${KIND.netnsPrefix}world-${h.name}` }));

export interface KindPaths {
  state: string;
  kubeconfig: string;
  /** Tool cache (shared with the local provider). */
  bin: string;
  images: string;
  cache: string;
}

export function kindPaths(p: LabPaths): KindPaths {
  const state = join(dirname(p.state), 'kind');
  return { state, kubeconfig: join(state, 'kubeconfig'), bin: p.bin, images: p.images, cache: p.cache };
}

/** A kind node: its container name is its Kubernetes node name. */
export interface KindNode {
  container: string;
  role: 'control-plane' | 'worker';
  /** The lab's node shape (labels, zone, capacity) for workers. */
  spec?: NodeSpec;
}

export function kindNodes(workers: number): KindNode[] {
  const ws = nodeSpecs(workers).map((spec, i) => ({ container: `${KIND.cluster}-worker${i === 0 ? '' : i + 1}`, role: 'worker' as const, spec }));
  return [{ container: `${KIND.cluster}-control-plane`, role: 'control-plane' }, ...ws];
}

/** Image tags baked into the node image (scripts/tools/build-kind-node.sh writes /kind/gauntlet-images). */
export interface NodeImageTags {
  etcd: string;
  coredns: string;
  netpol: string;
  /** The lab images' stamp (~/.cache/gauntlet/images/.stamp) whose demo and probe images are baked in; '' if none. */
  workloads: string;
}

export function parseImageTags(text: string): NodeImageTags {
  const kv = Object.fromEntries(text.split('\n').filter((l) => l.includes('=')).map((l) => l.split('=', 2) as [string, string]));
  return { etcd: kv.etcd ?? '', coredns: kv.coredns ?? '', netpol: kv.netpol ?? '', workloads: kv.workloads ?? '' };
}

export function kindConfig(workers: number, tags: NodeImageTags): string {
  const nodes = kindNodes(workers)
    .map((n) => {
      if (n.spec === undefined) return '- role: control-plane';
      const labels = Object.entries(n.spec.labels).map(([k, v]) => `      ${k}: "${v}"`).join('\n');
      return `- role: worker\n  labels:\n${labels}`;
    })
    .join('\n');
  return `kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
name: ${KIND.cluster}
networking:
  ipFamily: ipv4
  podSubnet: ${KIND.podCidr}
  serviceSubnet: ${KIND.serviceCidr}
  # kindnetd cannot be pulled: the provider writes a bridge CNI config per node and routes.
  disableDefaultCNI: true
  kubeProxyMode: iptables
kubeadmConfigPatches:
- |
  kind: ClusterConfiguration
  # Component images are built locally and baked into the node image under this repository.
  imageRepository: ${KIND.imageRepository}
  etcd:
    local:
      imageTag: "${tags.etcd}"
  # kind v0.33 writes kubeadm v1beta3 for this node image: extraArgs are maps.
  apiServer:
    extraArgs:
      default-not-ready-toleration-seconds: "${TIMINGS.notReadyTolerationSeconds}"
      default-unreachable-toleration-seconds: "${TIMINGS.unreachableTolerationSeconds}"
  controllerManager:
    extraArgs:
      node-monitor-grace-period: "${TIMINGS.nodeMonitorGracePeriodSeconds}s"
      node-monitor-period: "${TIMINGS.nodeMonitorPeriodSeconds}s"
      enable-hostpath-provisioner: "true"
- |
  kind: InitConfiguration
  # kubeadm's CoreDNS forwards to the node's resolver (outside the lab): the provider applies
  # its own CoreDNS, whose Corefile has no forward.
  skipPhases: [preflight, addon/coredns]
- |
  kind: KubeletConfiguration
  failCgroupV1: false
  nodeStatusUpdateFrequency: ${TIMINGS.nodeStatusUpdateFrequencySeconds}s
  nodeLeaseDurationSeconds: ${TIMINGS.nodeLeaseDurationSeconds}
  imageGCLowThresholdPercent: 99
nodes:
${nodes}
`;
}

/** Each node's CNI: a bridge on its pod CIDR, no masquerade (nothing is NATed anywhere). */
export function kindCniConflist(podCidr: string): string {
  return `${JSON.stringify(
    {
      cniVersion: '0.4.0',
      name: 'gauntlet-kind',
      plugins: [
        { type: 'bridge', bridge: 'cni0', isGateway: true, ipMasq: false, hairpinMode: true, ipam: { type: 'host-local', ranges: [[{ subnet: podCidr }]], routes: [{ dst: '0.0.0.0/0' }] } },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  )}\n`;
}

/**
 * The podman network's CNI config as the provider wants it: podman writes a gateway bridge with
 * NAT, a default route and firewall/tuning plugins; the nodes need none of that (the host reaches
 * them on the bridge, which the provider names and addresses itself: podman 4.3 has no
 * --interface-name), so they get no route off the machine.
 */
export function lockDownNetworkConf(conflist: string): string {
  const c = JSON.parse(conflist) as { plugins: Record<string, unknown>[] };
  c.plugins = c.plugins
    .filter((p) => p.type === 'bridge')
    .map((p) => {
      const ipam = { ...(p.ipam as Record<string, unknown>) };
      delete ipam.routes;
      return { ...p, bridge: KIND.bridge, isGateway: false, ipMasq: false, ipam };
    });
  return `${JSON.stringify(c, null, 2)}\n`;
}

/** nftables for the host: drop anything routed from the nodes' bridge to another interface. */
export function guardRuleset(): string {
  return `table inet ${KIND.guardTable} {
  chain forward {
    type filter hook forward priority -200; policy accept;
    iifname "${KIND.bridge}" oifname != "${KIND.bridge}" counter drop
    oifname "${KIND.bridge}" iifname != "${KIND.bridge}" counter drop
    ip saddr { ${KIND.subnet}, ${KIND.podCidr} } oifname != "${KIND.bridge}" counter drop
  }
}
`;
}

export function corefile(): string {
  const hosts = KIND_WORLD_HOSTS.map((h) => `    ${h.ip} ${h.dnsName}`).join('\n');
  return `.:53 {
  errors
  hosts {
${hosts}
    fallthrough
  }
  kubernetes ${KIND.clusterDomain} in-addr.arpa {
    pods insecure
    ttl 5
  }
  cache 5
  loadbalance
}
`;
}

const indent = (s: string, n: number): string => s.split('\n').map((l) => (l ? ' '.repeat(n) + l : l)).join('\n');

/** CoreDNS (no forward: unknown names are NXDOMAIN, nothing is asked upstream) and the netpol enforcer on every node. */
export function addonManifests(tags: NodeImageTags): string {
  const repo = KIND.imageRepository;
  return `apiVersion: v1
kind: ServiceAccount
metadata: {name: gauntlet-lab-reader, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "gauntlet-lab:reader"}
rules:
- apiGroups: [""]
  resources: [pods, namespaces, services, endpoints, nodes]
  verbs: [get, list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [get, list, watch]
- apiGroups: [networking.k8s.io]
  resources: [networkpolicies]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "gauntlet-lab:reader"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "gauntlet-lab:reader"}
subjects:
- {kind: ServiceAccount, name: gauntlet-lab-reader, namespace: kube-system}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  Corefile: |
${indent(corefile(), 4)}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  replicas: 1
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      serviceAccountName: gauntlet-lab-reader
      priorityClassName: system-cluster-critical
      tolerations: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}, {key: CriticalAddonsOnly, operator: Exists}]
      nodeSelector: {node-role.kubernetes.io/control-plane: ""}
      containers:
      - name: coredns
        image: ${repo}/coredns:${tags.coredns}
        imagePullPolicy: Never
        args: [-conf, /etc/coredns/Corefile]
        ports: [{containerPort: 53, name: dns, protocol: UDP}, {containerPort: 53, name: dns-tcp, protocol: TCP}]
        readinessProbe: {tcpSocket: {port: 53}, periodSeconds: 2}
        volumeMounts: [{name: config, mountPath: /etc/coredns}]
      volumes: [{name: config, configMap: {name: coredns}}]
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns, kubernetes.io/name: CoreDNS}
spec:
  clusterIP: ${KIND.dnsServiceIp}
  selector: {k8s-app: kube-dns}
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: 53}
  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: gauntlet-netpol, namespace: kube-system, labels: {app: gauntlet-netpol}}
spec:
  selector: {matchLabels: {app: gauntlet-netpol}}
  template:
    metadata: {labels: {app: gauntlet-netpol}}
    spec:
      serviceAccountName: gauntlet-lab-reader
      hostNetwork: true
      priorityClassName: system-node-critical
      tolerations: [{operator: Exists}]
      containers:
      - name: netpol
        image: ${repo}/netpol:${tags.netpol}
        imagePullPolicy: Never
        args: [-node=$(NODE_NAME)]
        env: [{name: NODE_NAME, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}]
        securityContext: {privileged: true}
        # Ready once the first ruleset is in place, so \`lab up\` returns with policies enforced on every
        # node: checked every second until then (startup), every 10 s after (each check is a runc exec).
        startupProbe: {exec: {command: [nft, list, table, inet, ${NETPOL_TABLE}]}, periodSeconds: 1, failureThreshold: 300}
        readinessProbe: {exec: {command: [nft, list, table, inet, ${NETPOL_TABLE}]}, periodSeconds: 10}
`;
}

export { WORLD_PORTS };
