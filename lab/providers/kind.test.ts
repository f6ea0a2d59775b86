import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TIMINGS } from '../config.ts';
import { kindConfig } from './kind.ts';

describe('kind config', () => {
  const cfg = parse(kindConfig(3)) as {
    nodes: { role: string; labels?: Record<string, string> }[];
    kubeadmConfigPatches: string[];
  };

  it('has one control plane and three labelled workers', () => {
    expect(cfg.nodes.map((n) => n.role)).toEqual(['control-plane', 'worker', 'worker', 'worker']);
    const types = cfg.nodes.filter((n) => n.role === 'worker').map((n) => n.labels?.['karpenter.sh/capacity-type']);
    expect(types).toEqual(['spot', 'spot', 'on-demand']);
  });

  it('carries the shortened timings to the apiserver and controller-manager', () => {
    const patch = parse(cfg.kubeadmConfigPatches[0]!) as {
      apiServer: { extraArgs: Record<string, string> };
      controllerManager: { extraArgs: Record<string, string> };
    };
    expect(patch.apiServer.extraArgs['default-unreachable-toleration-seconds']).toBe(String(TIMINGS.unreachableTolerationSeconds));
    expect(patch.controllerManager.extraArgs['node-monitor-grace-period']).toBe(`${TIMINGS.nodeMonitorGracePeriodSeconds}s`);
  });
});
