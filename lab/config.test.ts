import { describe, expect, it } from 'vitest';
import { NET, WORLD_HOSTS, imageTarball, IMAGES, nodeSpecs } from './config.ts';

describe('lab node shapes', () => {
  it('three nodes are two spot and one on-demand, each in its own zone', () => {
    const n = nodeSpecs(3);
    expect(n.map((x) => x.labels['karpenter.sh/capacity-type'])).toEqual(['spot', 'spot', 'on-demand']);
    expect(n.map((x) => x.labels['eks.amazonaws.com/capacityType'])).toEqual(['SPOT', 'SPOT', 'ON_DEMAND']);
    expect(new Set(n.map((x) => x.labels['topology.kubernetes.io/zone'])).size).toBe(3);
  });

  it('puts nodes and outside-world hosts on the lab bridge, off the pod and service ranges', () => {
    const ips = [...nodeSpecs(9).map((n) => n.ip), ...WORLD_HOSTS.map((h) => h.ip)];
    expect(new Set(ips).size).toBe(ips.length);
    for (const ip of ips) expect(ip.startsWith('10.77.0.')).toBe(true);
    expect(NET.podCidr).not.toBe(NET.serviceCidr);
  });

  it('names image tarballs the way build-lab-images.sh writes them', () => {
    expect(imageTarball(IMAGES.demoV2)).toBe('demo-v2.tar');
    expect(imageTarball(IMAGES.pause)).toBe('pause-3.10.tar');
  });
});
