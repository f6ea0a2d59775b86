/**
 * Stop and start one real node's kubelet and runtime, as a node failure would: its pods' processes
 * are killed too, while the node's namespace, kube-proxy and policy enforcer stay.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError, UsageError } from '../../../core/errors.ts';
import { processStartTicks, sleep } from '../../../core/proc.ts';
import { labPaths, nodeSpecs, type LabPaths } from '../../config.ts';
import { nodes } from './kubectl.ts';
import { cgroupPids } from './cgroups.ts';
import { nodeCgroup } from './node-config.ts';
import { daemons, stopDaemon, stopPids, strayProcesses } from './sh.ts';
import { nodeDirs } from './node-config.ts';
import { readSpec, startNode } from './up.ts';

function spec(p: LabPaths, name: string) {
  const lab = readSpec(p);
  if (lab === undefined) throw new InfraError('the lab is down', { hint: 'start it with `gauntlet lab up`' });
  const all = nodeSpecs(lab.nodes);
  const n = all.find((x) => x.name === name);
  if (n === undefined) throw new UsageError(`no lab node named ${name}`, { hint: `the lab's nodes: ${all.map((x) => x.name).join(', ')}` });
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

/** Start a stopped node; with `waitMs`, return only once the API server reports it Ready. */
export async function startNodeAgain(name: string, paths?: LabPaths, waitMs = 0): Promise<{ readyAfterMs?: number }> {
  const p = paths ?? labPaths();
  const started = Date.now();
  await startNode(p, spec(p, name));
  if (waitMs <= 0) return {};
  while (Date.now() - started < waitMs) {
    const n = (await nodes(p).catch(() => [])).find((x) => x.name === name);
    if (n?.ready) return { readyAfterMs: Date.now() - started };
    await sleep(1000);
  }
  throw new InfraError(`${name} started but is not Ready after ${Math.round(waitMs / 1000)} s`, { hint: `see ${p.state}/logs/${name}-kubelet.log` });
}

export function nodeRunning(name: string, paths?: LabPaths): boolean {
  const p = paths ?? labPaths();
  return daemons(p.state).some((d) => d.name === `${name}-kubelet` && d.alive);
}

/**
 * Kill one container's main process from the host, as the runtime would on an OOM kill: the
 * process is found in the node's runc state (its pid and start time, so a reused pid is never
 * signalled) and signalled from the host's PID namespace, where SIGKILL cannot be ignored (from
 * inside the container's own namespace the kernel drops it for PID 1). The kubelet sees the
 * container exit and restarts it; the pod stays. 'gone' when the container no longer runs.
 */
export function killContainer(node: string, containerId: string, signal: NodeJS.Signals = 'SIGKILL', paths?: LabPaths): { pid: number } | 'gone' {
  const p = paths ?? labPaths();
  const n = spec(p, node);
  const id = containerId.replace(/^containerd:\/\//, '');
  if (!/^[0-9a-f]{64}$/.test(id)) throw new UsageError(`not a containerd container id: ${containerId}`);
  let state: { init_process_pid?: number; init_process_start?: number | string };
  try {
    state = JSON.parse(readFileSync(join(nodeDirs(p.state, n).runc, 'k8s.io', id, 'state.json'), 'utf8'));
  } catch {
    return 'gone';
  }
  const pid = state.init_process_pid;
  if (!pid || processStartTicks(pid) === undefined || processStartTicks(pid) !== Number(state.init_process_start)) return 'gone';
  try {
    process.kill(pid, signal);
  } catch {
    return 'gone';
  }
  return { pid };
}
