/**
 * Stop and start one real node's kubelet and runtime, as a node failure would: its pods' processes
 * are killed too, while the node's namespace, kube-proxy and policy enforcer stay.
 */
import { labPaths, nodeSpecs, type LabPaths } from '../../config.ts';
import { cgroupPids } from './cgroups.ts';
import { nodeCgroup } from './node-config.ts';
import { daemons, stopDaemon, stopPids, strayProcesses } from './sh.ts';
import { nodeDirs } from './node-config.ts';
import { readSpec, startNode } from './up.ts';

function spec(p: LabPaths, name: string) {
  const n = nodeSpecs(readSpec(p)?.nodes ?? 0).find((x) => x.name === name);
  if (n === undefined) throw new Error(`no lab node named ${name}`);
  return n;
}

export async function stopNode(name: string, paths?: LabPaths): Promise<void> {
  const p = paths ?? labPaths();
  const n = spec(p, name);
  await stopDaemon(p.state, `${n.name}-kubelet`);
  await stopDaemon(p.state, `${n.name}-containerd`);
  await stopPids(strayProcesses(nodeDirs(p.state, n).socket).map((x) => x.pid), 2000);
  await stopPids(cgroupPids(nodeCgroup(n)), 2000);
}

export async function startNodeAgain(name: string, paths?: LabPaths): Promise<void> {
  const p = paths ?? labPaths();
  await startNode(p, spec(p, name));
}

export function nodeRunning(name: string, paths?: LabPaths): boolean {
  const p = paths ?? labPaths();
  return daemons(p.state).some((d) => d.name === `${name}-kubelet` && d.alive);
}
