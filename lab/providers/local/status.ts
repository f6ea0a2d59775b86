/** `lab status` for the local provider: what runs, what is stale, and the lab's timings. */
import { existsSync } from 'node:fs';
import { labPaths, TIMINGS, type LabPaths } from '../../config.ts';
import { cgroupExists } from './cgroups.ts';
import { nodes, type NodeInfo } from './kubectl.ts';
import { bridgeUp, labNetns } from './net.ts';
import { CGROUP_ROOT } from './node-config.ts';
import { daemons, strayProcesses, type DaemonState } from './sh.ts';
import { readSpec, type LabSpec } from './up.ts';

export interface LabStatus {
  provider: 'local';
  /** up: every daemon alive and every node Ready; partial: something is missing; down: nothing is there. */
  phase: 'up' | 'partial' | 'down';
  spec?: LabSpec;
  kubeconfig: string;
  processes: DaemonState[];
  nodes: NodeInfo[];
  /** Things the lab made that no running lab accounts for: `lab down` removes them. */
  stale: string[];
  timings: typeof TIMINGS;
}

export async function localStatus(opts: { paths?: LabPaths } = {}): Promise<LabStatus> {
  const p = opts.paths ?? labPaths();
  const spec = readSpec(p);
  const processes = daemons(p.state);
  const stale = processes.filter((d) => !d.alive).map((d) => `dead process: ${d.name} (pid ${d.pid})`);
  let ns: NodeInfo[] = [];
  if (processes.some((d) => d.name === 'kube-apiserver' && d.alive)) ns = await nodes(p).catch(() => []);
  if (spec === undefined) {
    for (const n of labNetns()) stale.push(`network namespace: ${n}`);
    if (await bridgeUp()) stale.push('bridge: gl-lab0');
    if (cgroupExists(CGROUP_ROOT)) stale.push(`cgroup: ${CGROUP_ROOT}`);
    const known = new Set(processes.map((d) => d.pid));
    for (const s of strayProcesses(p.state)) if (!known.has(s.pid)) stale.push(`process: ${s.pid} ${s.cmd.slice(0, 80)}`);
    if (existsSync(p.state)) stale.push(`state dir: ${p.state}`);
  }
  const allAlive = processes.length > 0 && processes.every((d) => d.alive);
  const realNodes = ns.filter((n) => n.labels['gauntlet.dev/lab'] === 'true');
  const ready = spec !== undefined && realNodes.length === spec.nodes && realNodes.every((n) => n.ready);
  const phase = spec === undefined && stale.length === 0 ? 'down' : allAlive && ready ? 'up' : 'partial';
  return { provider: 'local', phase, spec, kubeconfig: p.kubeconfig, processes, nodes: ns, stale, timings: TIMINGS };
}

export function formatStatus(s: LabStatus): string {
  const lines = [`lab: ${s.phase} (provider ${s.provider})`];
  if (s.spec) lines.push(`kubeconfig: ${s.kubeconfig} (context gauntlet-lab)`);
  for (const n of s.nodes) {
    const kind = n.annotations['kwok.x-k8s.io/node'] ? 'fake' : (n.labels['karpenter.sh/capacity-type'] ?? '');
    lines.push(`node ${n.name.padEnd(14)} ${n.ready ? 'Ready   ' : 'NotReady'} ${kind.padEnd(9)} zone=${n.labels['topology.kubernetes.io/zone'] ?? '-'} podCIDR=${n.podCidr ?? '-'}`);
  }
  for (const d of s.processes) lines.push(`process ${d.name.padEnd(28)} ${d.alive ? `running pid ${d.pid}` : 'STALE (not running)'}`);
  for (const x of s.stale) lines.push(`stale: ${x}`);
  const t = s.timings;
  lines.push(
    `timings: node-monitor-grace-period=${t.nodeMonitorGracePeriodSeconds}s node-monitor-period=${t.nodeMonitorPeriodSeconds}s ` +
      `node-lease=${t.nodeLeaseDurationSeconds}s not-ready-toleration=${t.notReadyTolerationSeconds}s unreachable-toleration=${t.unreachableTolerationSeconds}s`,
  );
  return lines.join('\n');
}
