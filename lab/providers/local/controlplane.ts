/**
 * Control-plane daemons as host processes: etcd on loopback, the apiserver on the lab bridge
 * address (where node namespaces reach it), controller-manager and scheduler on loopback, and
 * CoreDNS on the bridge address behind the kube-dns Service. Flags follow upstream's
 * hack/local-up-cluster.sh, with the lab's shortened failure timings.
 */
import { join } from 'node:path';
import { NET, PORTS, TIMINGS, WORLD_HOSTS, type LabPaths } from '../../config.ts';
import type { Daemon } from './sh.ts';

export const pkiDir = (p: LabPaths): string => join(p.state, 'pki');
export const kubeconfigFor = (p: LabPaths, name: string): string => join(p.state, 'kubeconfigs', `${name}.kubeconfig`);

export function etcd(p: LabPaths): Daemon {
  const client = `http://127.0.0.1:${PORTS.etcdClient}`;
  const peer = `http://127.0.0.1:${PORTS.etcdPeer}`;
  return {
    name: 'etcd',
    cmd: join(p.bin, 'etcd'),
    args: [
      '--name=lab', `--data-dir=${join(p.state, 'etcd')}`,
      `--listen-client-urls=${client}`, `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`, `--initial-advertise-peer-urls=${peer}`, `--initial-cluster=lab=${peer}`,
      // A throwaway lab: fsync buys nothing and costs seconds on every write burst.
      '--unsafe-no-fsync=true', '--log-level=warn',
    ],
  };
}

export function apiserver(p: LabPaths): Daemon {
  const pki = pkiDir(p);
  return {
    name: 'kube-apiserver',
    cmd: join(p.bin, 'kube-apiserver'),
    args: [
      `--etcd-servers=http://127.0.0.1:${PORTS.etcdClient}`,
      `--bind-address=${NET.hostIp}`, `--advertise-address=${NET.hostIp}`, `--secure-port=${PORTS.apiserver}`,
      `--service-cluster-ip-range=${NET.serviceCidr}`,
      '--authorization-mode=Node,RBAC', '--enable-admission-plugins=NodeRestriction', '--allow-privileged=true',
      `--client-ca-file=${join(pki, 'ca.crt')}`,
      `--tls-cert-file=${join(pki, 'apiserver.crt')}`, `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
      `--kubelet-client-certificate=${join(pki, 'apiserver-kubelet-client.crt')}`,
      `--kubelet-client-key=${join(pki, 'apiserver-kubelet-client.key')}`,
      '--kubelet-preferred-address-types=InternalIP',
      `--service-account-key-file=${join(pki, 'sa.pub')}`, `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
      `--service-account-issuer=https://kubernetes.default.svc.${NET.clusterDomain}`,
      `--default-not-ready-toleration-seconds=${TIMINGS.notReadyTolerationSeconds}`,
      `--default-unreachable-toleration-seconds=${TIMINGS.unreachableTolerationSeconds}`,
      '--profiling=false', '--v=1',
    ],
  };
}

export function controllerManager(p: LabPaths): Daemon {
  const pki = pkiDir(p);
  const kc = kubeconfigFor(p, 'controller-manager');
  return {
    name: 'kube-controller-manager',
    cmd: join(p.bin, 'kube-controller-manager'),
    args: [
      `--kubeconfig=${kc}`, `--authentication-kubeconfig=${kc}`, `--authorization-kubeconfig=${kc}`,
      '--bind-address=127.0.0.1', `--secure-port=${PORTS.controllerManager}`, '--leader-elect=false',
      `--service-account-private-key-file=${join(pki, 'sa.key')}`, `--root-ca-file=${join(pki, 'ca.crt')}`,
      `--cluster-signing-cert-file=${join(pki, 'ca.crt')}`, `--cluster-signing-key-file=${join(pki, 'ca.key')}`,
      '--use-service-account-credentials=true',
      '--allocate-node-cidrs=true', `--cluster-cidr=${NET.podCidr}`, '--node-cidr-mask-size=24',
      `--service-cluster-ip-range=${NET.serviceCidr}`,
      `--node-monitor-grace-period=${TIMINGS.nodeMonitorGracePeriodSeconds}s`,
      `--node-monitor-period=${TIMINGS.nodeMonitorPeriodSeconds}s`,
      '--v=1',
    ],
  };
}

export function scheduler(p: LabPaths): Daemon {
  const kc = kubeconfigFor(p, 'scheduler');
  return {
    name: 'kube-scheduler',
    cmd: join(p.bin, 'kube-scheduler'),
    args: [
      `--kubeconfig=${kc}`, `--authentication-kubeconfig=${kc}`, `--authorization-kubeconfig=${kc}`,
      '--bind-address=127.0.0.1', `--secure-port=${PORTS.scheduler}`, '--leader-elect=false', '--v=1',
    ],
  };
}

/** Cluster DNS plus names for the outside-world hosts. No `forward`: nothing leaves the machine. */
export function corefile(p: LabPaths): string {
  const hosts = WORLD_HOSTS.map((h) => `    ${h.ip} ${h.dnsName}`).join('\n');
  return `.:${PORTS.dns} {
  bind ${NET.hostIp}
  errors
  hosts {
${hosts}
    fallthrough
  }
  kubernetes ${NET.clusterDomain} in-addr.arpa {
    kubeconfig ${kubeconfigFor(p, 'coredns')} gauntlet-lab
    pods insecure
    ttl 5
  }
  cache 5
  loadbalance
}
`;
}

export function coredns(p: LabPaths): Daemon {
  return { name: 'coredns', cmd: join(p.bin, 'coredns'), args: ['-conf', join(p.state, 'Corefile')] };
}

/** Objects the lab adds once the API answers: readers for host add-ons, and kube-dns pointing at CoreDNS. */
export function addonManifests(): string {
  return `apiVersion: rbac.authorization.k8s.io/v1
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
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "gauntlet:coredns"}
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "gauntlet:netpol"}
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns, kubernetes.io/name: CoreDNS}
spec:
  clusterIP: ${NET.dnsServiceIp}
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: 53}
  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kube-dns-host
  namespace: kube-system
  labels: {kubernetes.io/service-name: kube-dns, endpointslice.kubernetes.io/managed-by: gauntlet-lab}
addressType: IPv4
endpoints:
- addresses: ["${NET.hostIp}"]
  conditions: {ready: true}
ports:
- {name: dns, port: 53, protocol: UDP}
- {name: dns-tcp, port: 53, protocol: TCP}
`;
}
