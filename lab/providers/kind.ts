/**
 * The kind provider, for machines where a Docker engine answers. It generates a kind cluster
 * config with the same node shapes, labels and shortened timings as the local provider, and loads
 * the same locally built images with `kind load image-archive`. Unverified: no Docker engine
 * exists where Gauntlet is developed, so only the generated config is tested.
 */
import { join } from 'node:path';
import { IMAGES, NET, TIMINGS, imageTarball, labPaths, nodeSpecs, type LabPaths } from '../config.ts';
import { InfraError } from '../../core/errors.ts';
import { run, tryRun } from './local/sh.ts';

export const KIND_CLUSTER = 'gauntlet-lab';

export function kindConfig(nodes: number): string {
  const workers = nodeSpecs(nodes)
    .map((n) => {
      const labels = Object.entries(n.labels).map(([k, v]) => `      ${k}: "${v}"`).join('\n');
      return `- role: worker\n  labels:\n${labels}`;
    })
    .join('\n');
  return `kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
name: ${KIND_CLUSTER}
networking:
  podSubnet: ${NET.podCidr}
  serviceSubnet: ${NET.serviceCidr}
  # kind's own CNI has no NetworkPolicy enforcement in old releases; kindnet >= v0.24 enforces it.
kubeadmConfigPatches:
- |
  kind: ClusterConfiguration
  apiServer:
    extraArgs:
      default-not-ready-toleration-seconds: "${TIMINGS.notReadyTolerationSeconds}"
      default-unreachable-toleration-seconds: "${TIMINGS.unreachableTolerationSeconds}"
  controllerManager:
    extraArgs:
      node-monitor-grace-period: "${TIMINGS.nodeMonitorGracePeriodSeconds}s"
      node-monitor-period: "${TIMINGS.nodeMonitorPeriodSeconds}s"
nodes:
- role: control-plane
${workers}
`;
}

/** Whether a Docker engine answers here (the default provider is kind only then). */
export async function dockerAnswers(): Promise<boolean> {
  return tryRun('docker', ['info']);
}

export async function kindUp(opts: { nodes: number; paths?: LabPaths }): Promise<void> {
  const p = opts.paths ?? labPaths();
  if (!(await tryRun('kind', ['version']))) {
    throw new InfraError('the kind provider needs the `kind` command on PATH', { hint: 'install kind (go install sigs.k8s.io/kind@latest), or use --provider local' });
  }
  if (!(await dockerAnswers())) {
    throw new InfraError('the kind provider needs a Docker engine, and none answers here', { hint: 'use --provider local (the default without Docker)' });
  }
  const clusters = await run('kind', ['get', 'clusters']);
  if (!clusters.split('\n').includes(KIND_CLUSTER)) {
    await run('kind', ['create', 'cluster', '--config=-', `--kubeconfig=${p.kubeconfig}`], kindConfig(opts.nodes));
  }
  for (const ref of Object.values(IMAGES)) {
    await run('kind', ['load', 'image-archive', join(p.images, imageTarball(ref)), `--name=${KIND_CLUSTER}`]);
  }
}

export async function kindDown(): Promise<void> {
  await tryRun('kind', ['delete', 'cluster', `--name=${KIND_CLUSTER}`]);
}
