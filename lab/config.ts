/**
 * Everything the lab is made of, decided in one place: paths, addresses, ports, node shapes,
 * images and the shortened timings. Pure data, so other modules (and tests) can import the
 * addresses without starting anything.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface LabPaths {
  /** State root: pidfiles, logs, node dirs, PKI. Removed whole by `lab down`. */
  state: string;
  /** Cache root shared with scripts/tools (binaries and image tarballs). */
  cache: string;
  bin: string;
  images: string;
  kubeconfig: string;
}

export function labPaths(env: NodeJS.ProcessEnv = process.env): LabPaths {
  const home = env.HOME ?? homedir();
  const state = join(env.XDG_STATE_HOME ?? join(home, '.local', 'state'), 'gauntlet', 'lab');
  const cache = env.GAUNTLET_CACHE ?? join(env.XDG_CACHE_HOME ?? join(home, '.cache'), 'gauntlet');
  return {
    state,
    cache,
    bin: join(cache, 'bin'),
    images: join(cache, 'images'),
    kubeconfig: join(state, 'kubeconfig'),
  };
}

export const CONTEXT_NAME = 'gauntlet-lab';

/**
 * Who enforces NetworkPolicy on the local lab's nodes: `netpol` (default), the lab's own
 * gauntlet-netpol (nftables); `kube-router`, upstream kube-router v2.1.0's firewall only (iptables +
 * ipset), a second implementation to check the analysis against. kube-router v2.1.0 has reported
 * security flaws: lab only, never the default.
 */
export const ENFORCERS = ['netpol', 'kube-router'] as const;
export type Enforcer = (typeof ENFORCERS)[number];
/** The nftables table (inet family) gauntlet-netpol owns on each node; lab/netpol's `-table` default. */
export const NETPOL_TABLE = 'gauntlet_netpol';

/**
 * Addresses. 10.77.0.0/24 is the lab bridge (host .1, nodes .11+, outside world .201+),
 * 10.78.0.0/16 pods, 10.79.0.0/16 Services. None is routed to the uplink: namespaces get routes
 * for these ranges only, never a default route, and the host does not forward.
 */
export const NET = {
  bridge: 'gl-lab0',
  bridgeCidr: '10.77.0.0/24',
  hostIp: '10.77.0.1',
  prefix: 24,
  podCidr: '10.78.0.0/16',
  serviceCidr: '10.79.0.0/16',
  apiServiceIp: '10.79.0.1',
  dnsServiceIp: '10.79.0.10',
  clusterDomain: 'cluster.local',
} as const;

export const PORTS = {
  apiserver: 6443,
  etcdClient: 23790,
  etcdPeer: 23800,
  controllerManager: 10257,
  scheduler: 10259,
  dns: 53,
} as const;

/** Shortened failure timings so node-loss tests finish in about a minute. */
export const TIMINGS = {
  nodeMonitorGracePeriodSeconds: 16,
  nodeMonitorPeriodSeconds: 2,
  nodeLeaseDurationSeconds: 10,
  nodeStatusUpdateFrequencySeconds: 4,
  notReadyTolerationSeconds: 10,
  unreachableTolerationSeconds: 10,
} as const;

export type CapacityType = 'spot' | 'on-demand';

export interface NodeSpec {
  name: string;
  index: number;
  ip: string;
  netns: string;
  zone: string;
  capacityType: CapacityType;
  labels: Record<string, string>;
}

const ZONES = ['lab-a', 'lab-b', 'lab-c'];

/** Real worker nodes: all but the last are spot, so 3 nodes give 2 spot + 1 on-demand. */
export function nodeSpecs(count: number): NodeSpec[] {
  return Array.from({ length: count }, (_, i) => {
    const capacityType: CapacityType = count > 1 && i === count - 1 ? 'on-demand' : 'spot';
    const zone = ZONES[i % ZONES.length]!;
    return {
      name: `lab-node-${i + 1}`,
      index: i + 1,
      ip: `10.77.0.${11 + i}`,
      netns: `gl-node-${i + 1}`,
      zone,
      capacityType,
      labels: {
        'topology.kubernetes.io/zone': zone,
        'karpenter.sh/capacity-type': capacityType,
        'eks.amazonaws.com/capacityType': capacityType === 'spot' ? 'SPOT' : 'ON_DEMAND',
        'gauntlet.dev/lab': 'true',
      },
    };
  });
}

/** Hosts outside the cluster, each in its own namespace, for egress tests. */
export interface WorldHost {
  name: string;
  /** DNS name served by the lab's CoreDNS. */
  dnsName: string;
  ip: string;
  netns: string;
  /** Whether the e2e tests treat it as an approved egress destination. */
  approved: boolean;
}

export const WORLD_PORTS = { http: 80, tcp: 9000, udp: 9001 } as const;

export const WORLD_HOSTS: readonly WorldHost[] = [
  { name: 'allowed', dnsName: 'allowed.world.gauntlet.test', ip: '10.77.0.201', netns: 'gl-world-allowed', approved: true },
  { name: 'denied', dnsName: 'denied.world.gauntlet.test', ip: '10.77.0.202', netns: 'gl-world-denied', approved: false },
];

export const IMAGES = {
  pause: 'gauntlet.local/pause:3.10',
  demoV1: 'gauntlet.local/demo:v1',
  demoV2: 'gauntlet.local/demo:v2',
  probe: 'gauntlet.local/probe:v1',
} as const;

/** Image tarballs under the cache, as written by scripts/tools/build-lab-images.sh. */
export function imageTarball(ref: string): string {
  const [repo, tag] = ref.split(':') as [string, string];
  return `${repo.split('/').pop()}-${tag}.tar`;
}

/** Fake (KWOK) nodes: annotated so KWOK manages only them, tainted so real workloads avoid them. */
export const FAKE_NODE = {
  annotation: 'kwok.x-k8s.io/node',
  annotationValue: 'fake',
  taint: { key: 'gauntlet.dev/fake-node', value: 'true', effect: 'NoSchedule' },
} as const;

/** Lab add-ons `lab up --addons NAME` can bring on top of the cluster. */
export const ADDON_NAMES = ['flagger'] as const;
export type AddonName = (typeof ADDON_NAMES)[number];

/**
 * The `flagger` add-on: Prometheus, Traefik and Flagger as host processes in one network
 * namespace of their own on the lab bridge. That namespace has no uplink, so their listeners
 * (Flagger binds every interface) are reachable from the lab only. Traefik's web entry point is
 * the router canaries are reached through; Gauntlet serves Flagger's webhooks on the host's
 * bridge address, which the namespace reaches.
 */
export const FLAGGER_ADDON = {
  netns: 'gl-addons',
  hostIf: 'gl-addons',
  ip: '10.77.0.5',
  /** Traefik: web entry point (Gateway listeners use the same port), metrics and ping (in-namespace only). */
  webPort: 80,
  metricsPort: 8082,
  prometheusPort: 9090,
  flaggerPort: 8080,
  /** Prometheus scrape interval, s: Flagger's shortest metric window (10 s) then sees 5 samples. */
  scrapeSeconds: 2,
  versions: { flagger: 'v1.44.0', traefik: 'v3.6.12' },
  /** Objects for Gateway API users: a GatewayClass served by Traefik and a shared Gateway. */
  gatewayClass: 'traefik',
  gatewayNamespace: 'gauntlet-addons',
  gatewayName: 'lab',
} as const;

/** URL of the lab's router (Traefik's web entry point), as the host and pods reach it. */
export const routerUrl = (): string => `http://${FLAGGER_ADDON.ip}:${FLAGGER_ADDON.webPort}`;
/** Prometheus the add-on runs (what Flagger queries), reachable from the host. */
export const prometheusUrl = (): string => `http://${FLAGGER_ADDON.ip}:${FLAGGER_ADDON.prometheusPort}`;
