/**
 * `lab down` for the local provider: remove every process, pod, mount, cgroup, namespace, link
 * and file the lab made. It works from what is on the machine, not from what `up` recorded, so
 * it also cleans up after a crashed or half-finished `up`.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { labPaths, type LabPaths } from '../../config.ts';
import { cgroupPids, removeCgroup } from './cgroups.ts';
import { CGROUP_ROOT } from './node-config.ts';
import { teardownNetwork } from './net.ts';
import { daemons, stopPids, strayProcesses, tryRun } from './sh.ts';

export interface LocalDownResult {
  stoppedProcesses: number;
  unmounted: number;
  leftovers: string[];
}

/** Mount points under the lab's state dir (containerd snapshots, pod volumes, pod netns), deepest first. */
export function labMounts(state: string): string[] {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => m !== undefined && (m === state || m.startsWith(`${state}/`)));
  return [...new Set(mounts)].sort((a, b) => b.length - a.length);
}

const CNI_RESULTS = '/var/lib/cni/results';

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export async function localDown(opts: { paths?: LabPaths } = {}): Promise<LocalDownResult> {
  const p = opts.paths ?? labPaths();
  // Kubelets first so nothing restarts pods while the runtime goes away.
  const byName = daemons(p.state);
  const order = (n: string): number => (n.endsWith('-kubelet') ? 0 : n.endsWith('-containerd') ? 2 : 1);
  let stopped = 0;
  for (const rank of [0, 1, 2]) {
    const pids = byName.filter((d) => d.alive && order(d.name) === rank).map((d) => d.pid);
    stopped += pids.length;
    await stopPids(pids, 5000);
  }
  // Shims, and anything a crashed `up` started before writing a pidfile, name the state dir.
  const strays = strayProcesses(p.state).map((x) => x.pid);
  stopped += strays.length;
  await stopPids(strays, 3000);
  // Container processes outlive their shims; the kubelets' cgroup root holds every one.
  for (let i = 0; i < 5; i++) {
    const pids = cgroupPids(CGROUP_ROOT);
    if (pids.length === 0) break;
    stopped += pids.length;
    await stopPids(pids, 1000);
  }
  const mounts = labMounts(p.state);
  for (const m of mounts) await tryRun('umount', ['-l', m]);
  await teardownNetwork();
  const leftovers = removeCgroup(CGROUP_ROOT);
  rmSync(p.state, { recursive: true, force: true });
  // libcni caches each attachment's result outside the state dir, keyed by network name.
  for (const f of safeList(CNI_RESULTS)) if (f.startsWith('gauntlet-lab-')) rmSync(`${CNI_RESULTS}/${f}`, { force: true });
  return { stoppedProcesses: stopped, unmounted: mounts.length, leftovers };
}
