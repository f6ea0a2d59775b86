import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { NET, TIMINGS } from '../../config.ts';
import { KIND, KIND_WORLD_HOSTS, addonManifests, corefile, guardRuleset, kindConfig, kindNodes, lockDownNetworkConf, parseImageTags } from './config.ts';

const tags = parseImageTags('etcd=v3.6.16\ncoredns=v1.12.1\nnetpol=abc\nkubernetes=v1.34.4\nworkloads=0123456789abcdef\n');

describe('kind config', () => {
  const cfg = parse(kindConfig(3, tags)) as {
    networking: Record<string, unknown>;
    nodes: { role: string; labels?: Record<string, string> }[];
    kubeadmConfigPatches: string[];
  };
  const patch = (kind: string) => cfg.kubeadmConfigPatches.map((p) => parse(p) as Record<string, any>).find((p) => p.kind === kind)!;

  it('has one control plane and three labelled workers, two of them spot in zones', () => {
    expect(cfg.nodes.map((n) => n.role)).toEqual(['control-plane', 'worker', 'worker', 'worker']);
    const ws = cfg.nodes.filter((n) => n.role === 'worker');
    expect(ws.map((n) => n.labels?.['karpenter.sh/capacity-type'])).toEqual(['spot', 'spot', 'on-demand']);
    expect(ws.map((n) => n.labels?.['topology.kubernetes.io/zone'])).toEqual(['lab-a', 'lab-b', 'lab-c']);
    expect(kindNodes(3).map((n) => n.container)).toEqual(['gauntlet-lab-control-plane', 'gauntlet-lab-worker', 'gauntlet-lab-worker2', 'gauntlet-lab-worker3']);
  });

  it('carries the shortened timings (kubeadm v1beta3 map-form extraArgs, what kind writes here) and the kubelet lease', () => {
    const c = patch('ClusterConfiguration');
    expect(c.apiServer.extraArgs['default-unreachable-toleration-seconds']).toBe(String(TIMINGS.unreachableTolerationSeconds));
    expect(c.controllerManager.extraArgs['node-monitor-grace-period']).toBe(`${TIMINGS.nodeMonitorGracePeriodSeconds}s`);
    expect(patch('KubeletConfiguration').nodeLeaseDurationSeconds).toBe(TIMINGS.nodeLeaseDurationSeconds);
  });

  it('uses the images baked into the node image, no kindnetd, and skips kubeadm\'s forwarding CoreDNS', () => {
    const c = patch('ClusterConfiguration');
    expect(c.imageRepository).toBe('gauntlet.local');
    expect(c.etcd.local.imageTag).toBe('v3.6.16');
    expect(cfg.networking.disableDefaultCNI).toBe(true);
    expect(patch('InitConfiguration').skipPhases).toEqual(['preflight', 'addon/coredns']);
  });

  it('uses address ranges apart from the local lab\'s', () => {
    const first2 = (cidr: string) => cidr.split('.').slice(0, 2).join('.');
    const local = [NET.bridgeCidr, NET.podCidr, NET.serviceCidr].map(first2);
    for (const c of [KIND.subnet, KIND.podCidr, KIND.serviceCidr]) expect(local).not.toContain(first2(c));
    expect(KIND_WORLD_HOSTS.every((w) => w.ip.startsWith('10.76.0.') && w.netns.startsWith('gk-'))).toBe(true);
  });
});

describe('the network rule on kind', () => {
  it('CoreDNS has no forward: names outside the cluster and the world hosts are never asked upstream', () => {
    expect(corefile()).not.toMatch(/forward|proxy/);
    expect(corefile()).toContain('10.76.0.201 allowed.world.gauntlet.test');
    const docs = parseAllDocuments(addonManifests(tags)).map((d) => d.toJS() as Record<string, any>);
    const cm = docs.find((d) => d.kind === 'ConfigMap')!;
    expect(cm.data.Corefile).not.toContain('forward');
    expect(docs.find((d) => d.kind === 'Service')!.spec.clusterIP).toBe(KIND.dnsServiceIp);
    const ds = docs.find((d) => d.kind === 'DaemonSet')!;
    expect(ds.spec.template.spec.containers[0].image).toBe('gauntlet.local/netpol:abc');
  });

  it('the enforcer is Ready only once its ruleset is on the node (lab up waits for that on every node)', () => {
    const ds = parseAllDocuments(addonManifests(tags)).map((d) => d.toJS() as Record<string, any>).find((d) => d.kind === 'DaemonSet')!;
    const c = ds.spec.template.spec.containers[0];
    for (const probe of [c.startupProbe, c.readinessProbe]) expect(probe.exec.command).toEqual(['nft', 'list', 'table', 'inet', 'gauntlet_netpol']);
    // Every second until the table is there, then rarely: each check is an exec in the container.
    expect(c.startupProbe.periodSeconds).toBe(1);
    expect(c.readinessProbe.periodSeconds).toBeGreaterThanOrEqual(10);
  });

  it('locks the podman network down: no NAT, no default route, no port-forward or firewall plugins', () => {
    // What podman 4.3 writes for `podman network create --disable-dns --subnet ...`.
    const podman = JSON.stringify({
      cniVersion: '0.4.0', name: 'gauntlet-kind',
      plugins: [
        { type: 'bridge', bridge: 'cni-podman1', isGateway: true, ipMasq: true, hairpinMode: true, ipam: { type: 'host-local', routes: [{ dst: '0.0.0.0/0' }], ranges: [[{ subnet: '10.76.0.0/24', gateway: '10.76.0.1' }]] } },
        { type: 'portmap', capabilities: { portMappings: true } },
        { type: 'firewall', backend: '' },
        { type: 'tuning' },
      ],
    });
    const locked = JSON.parse(lockDownNetworkConf(podman)) as { plugins: Record<string, any>[] };
    expect(locked.plugins.map((p) => p.type)).toEqual(['bridge']);
    expect(locked.plugins[0]!.bridge).toBe('gl-kind0');
    expect(locked.plugins[0]!.ipMasq).toBe(false);
    expect(locked.plugins[0]!.isGateway).toBe(false);
    expect(locked.plugins[0]!.ipam.routes).toBeUndefined();
    expect(lockDownNetworkConf(lockDownNetworkConf(podman))).toBe(lockDownNetworkConf(podman));
  });

  it('the host guard drops whatever is routed from the nodes\' bridge or ranges to another interface', () => {
    const g = guardRuleset();
    expect(g).toContain('hook forward');
    expect(g).toContain('iifname "gl-kind0" oifname != "gl-kind0" counter drop');
    expect(g).toContain('10.74.0.0/16');
  });
});
