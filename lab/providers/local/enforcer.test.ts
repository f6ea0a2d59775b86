import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labPaths, NET, nodeSpecs } from '../../config.ts';
import { missingTools, nodeDaemons } from './up.ts';

const node = nodeSpecs(3)[2]!;
const p = labPaths({ HOME: '/home/x', GAUNTLET_CACHE: '/cache' });

describe('lab NetworkPolicy enforcer', () => {
  it('runs the lab netpol by default, one per node in the node namespace', () => {
    const e = nodeDaemons(p, node, 'netpol').enforcer;
    expect(e).toMatchObject({ name: 'lab-node-3-netpol', netns: node.netns, cmd: '/cache/bin/gauntlet-netpol' });
    expect([...nodeDaemons(p, node, 'netpol').rest, e].some((d) => d.name.includes('kube-router'))).toBe(false);
  });

  it('runs only kube-router firewall for --enforcer kube-router, and not the lab netpol beside it', () => {
    const { rest, enforcer: kr } = nodeDaemons(p, node, 'kube-router');
    expect([...rest, kr].some((d) => d.name.endsWith('-netpol'))).toBe(false);
    expect(kr.name).toBe('lab-node-3-kube-router');
    expect(kr).toMatchObject({ netns: node.netns, cmd: '/cache/bin/kube-router' });
    expect(kr.args).toEqual(expect.arrayContaining([
      '--run-firewall=true', '--run-router=false', '--run-service-proxy=false', '--run-loadbalancer=false',
      `--hostname-override=${node.name}`, `--service-cluster-ip-range=${NET.serviceCidr}`, '--health-port=0', '--metrics-port=0',
    ]));
    expect(kr.args.some((a) => a.startsWith('--kubeconfig=') && a.includes('netpol'))).toBe(true);
  });

  it('starts the enforcer apart from the kubelet: kube-router exits when its Node object is not registered yet', () => {
    // Seen live: started beside the kubelet on a fresh lab, every kube-router stopped with "failed to
    // identify the node by NODE_NAME, hostname or --hostname-override"; lab up starts the enforcers
    // once the nodes are registered.
    for (const e of ['netpol', 'kube-router'] as const) {
      const ds = nodeDaemons(p, node, e);
      expect(ds.rest.map((d) => d.name)).toEqual(['lab-node-3-kubelet', 'lab-node-3-kube-proxy']);
      expect(ds.enforcer.name).toBe(`lab-node-3-${e === 'netpol' ? 'netpol' : 'kube-router'}`);
    }
  });

  it('asks for the kube-router binary only when that enforcer is chosen', () => {
    const cache = mkdtempSync(join(tmpdir(), 'gl-enf-'));
    const q = labPaths({ HOME: cache, GAUNTLET_CACHE: cache });
    mkdirSync(q.bin, { recursive: true });
    writeFileSync(join(q.bin, 'gauntlet-netpol'), '');
    expect(missingTools(q, 'netpol')).not.toContain('gauntlet-netpol');
    expect(missingTools(q, 'netpol')).not.toContain('kube-router');
    expect(missingTools(q, 'kube-router')).toContain('kube-router');
    expect(missingTools(q, 'kube-router')).not.toContain('gauntlet-netpol');
  });
});
