import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { nodeSpecs, NET } from '../../config.ts';
import { corefile } from './controlplane.ts';
import { labPaths } from '../../config.ts';
import { cniConflist, containerdToml, kubeletConfig, nodeDirs } from './node-config.ts';

const node = nodeSpecs(3)[1]!;
const d = nodeDirs('/state', node);

describe('node config', () => {
  it('gives each node its own containerd socket, root, runc root and CNI dir, with cgroupfs', () => {
    const t = containerdToml(d);
    expect(t).toContain(`address = "/state/nodes/${node.name}/containerd.sock"`);
    expect(t).toContain('SystemdCgroup = false');
    expect(t).toContain(`Root = "/state/nodes/${node.name}/runc"`);
    expect(t).toContain('netns_mounts_under_state_dir = true');
    expect(t).toContain('sandbox_image = "gauntlet.local/pause:3.10"');
  });

  it('uses standard CNI plugins on the node pod CIDR, without masquerade', () => {
    const c = JSON.parse(cniConflist(d, '10.78.2.0/24'));
    expect(c.plugins[0].type).toBe('bridge');
    expect(c.plugins[0].ipMasq).toBe(false);
    expect(c.plugins[0].ipam.ranges[0][0].subnet).toBe('10.78.2.0/24');
  });

  it('points the kubelet at its own runtime, cgroup root and the lab DNS', () => {
    const k = parse(kubeletConfig(d, node, '/ca.crt', '/resolv.conf'));
    expect(k.cgroupDriver).toBe('cgroupfs');
    expect(k.cgroupRoot).toBe(`/gauntlet-lab/${node.name}`);
    expect(k.containerRuntimeEndpoint).toBe(`unix:///state/nodes/${node.name}/containerd.sock`);
    expect(k.clusterDNS).toEqual([NET.dnsServiceIp]);
    expect(k.address).toBe(node.ip);
  });

  it('CoreDNS never forwards off the machine', () => {
    const c = corefile(labPaths({ HOME: '/h' }));
    expect(c).not.toMatch(/forward|proxy/);
    expect(c).toContain('allowed.world.gauntlet.test');
  });

  it("uses only plugins compiled into the lab's slim CoreDNS (lab/coredns)", () => {
    const src = readFileSync(new URL('../../coredns/main.go', import.meta.url), 'utf8');
    const list = /var directives = \[\]string\{([^}]*)\}/.exec(src)?.[1] ?? '';
    const built = [...list.matchAll(/"([a-z0-9_]+)"/g)].map((m) => m[1]);
    // Top-level directives of each server block: lines indented by two spaces.
    const used = [...corefile(labPaths({ HOME: '/h' })).matchAll(/^  ([a-z0-9_]+)/gm)].map((m) => m[1]);
    expect(used.length).toBeGreaterThan(3);
    for (const d of used) {
      expect(built, `directive ${d}`).toContain(d);
      expect(src, `plugin ${d} imported`).toContain(`"github.com/coredns/coredns/plugin/${d}"`);
    }
  });
});
