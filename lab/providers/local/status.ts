/** `lab status` for the local provider: what runs, what is stale, and the lab's timings. */
import { existsSync } from 'node:fs';
import { labPaths, nodeSpecs, TIMINGS, type LabPaths } from '../../config.ts';
import { cgroupExists } from './cgroups.ts';
import { nodes, type NodeInfo } from './kubectl.ts';
import { bridgeUp, labNetns } from './net.ts';
import { CGROUP_ROOT } from './node-config.ts';
import { daemons, strayProcesses, type DaemonState } from './sh.ts';
import { readSpec, type LabSpec } from './up.ts';
import type { KindSpec } from '../kind/up.ts';
import { flaggerAddonStatus, type AddonStatus } from './addons.ts';

/** A lab node as `lab status` shows it: `stopped` when its kubelet is not running (the API lags). */
export type NodeState = 'ready' | 'not-ready' | 'stopped';
export type NodeRow = NodeInfo & { state: NodeState };
/** A daemon; `stopped` marks one `lab node-stop` stopped on purpose (not stale). */
export type ProcessRow = DaemonState & { stopped?: boolean };

/** The per-node daemons `lab node-stop` stops (and removes the pidfiles of). */
const NODE_STOPPED_DAEMONS = ['kubelet', 'containerd'];

/**
 * Node and process rows from what runs: a lab node whose kubelet is not alive is `stopped` at once,
 * whatever the API server still says (it marks the node NotReady only after the grace period),
 * and its stopped daemons stay listed, as stopped.
 */
export function nodeRows(labNodes: readonly string[], processes: readonly DaemonState[], apiNodes: readonly NodeInfo[]): { nodes: NodeRow[]; processes: ProcessRow[] } {
  const alive = (name: string) => processes.some((d) => d.name === name && d.alive);
  const stopped = new Set(labNodes.filter((n) => !alive(`${n}-kubelet`)));
  const rows: NodeRow[] = apiNodes.map((n) =>
    stopped.has(n.name) ? { ...n, ready: false, state: 'stopped' } : { ...n, state: n.ready ? 'ready' : 'not-ready' },
  );
  for (const n of stopped) if (!rows.some((r) => r.name === n)) rows.push({ name: n, ready: false, labels: {}, annotations: {}, state: 'stopped' });
  const procs: ProcessRow[] = processes.filter((d) => !(stopped.has(d.name.replace(/-(kubelet|containerd)$/, '')) && !d.alive));
  for (const n of stopped) for (const d of NODE_STOPPED_DAEMONS) procs.push({ name: `${n}-${d}`, pid: 0, alive: false, stopped: true });
  procs.sort((a, b) => a.name.localeCompare(b.name));
  return { nodes: rows, processes: procs };
}

export interface LabStatus {
  provider: 'local' | 'kind';
  /** up: every daemon alive and every node Ready; partial: something is missing; down: nothing is there. */
  phase: 'up' | 'partial' | 'down';
  spec?: LabSpec | KindSpec;
  kubeconfig: string;
  processes: ProcessRow[];
  nodes: NodeRow[];
  /** Add-ons the lab was brought up with, and whether each of their parts answers. */
  addons: AddonStatus[];
  /** Things the lab made that no running lab accounts for: `lab down` removes them. */
  stale: string[];
  timings: typeof TIMINGS;
}

export async function localStatus(opts: { paths?: LabPaths } = {}): Promise<LabStatus> {
  const p = opts.paths ?? labPaths();
  const spec = readSpec(p);
  const running = daemons(p.state);
  let apiNodes: NodeInfo[] = [];
  if (running.some((d) => d.name === 'kube-apiserver' && d.alive)) apiNodes = await nodes(p).catch(() => []);
  const { nodes: ns, processes } = spec ? nodeRows(nodeSpecs(spec.nodes).map((n) => n.name), running, apiNodes) : { nodes: apiNodes.map((n) => ({ ...n, state: (n.ready ? 'ready' : 'not-ready') as NodeState })), processes: running };
  const stale = processes.filter((d) => !d.alive && !('stopped' in d && d.stopped)).map((d) => `dead process: ${d.name} (pid ${d.pid})`);
  if (spec === undefined) {
    for (const n of labNetns()) stale.push(`network namespace: ${n}`);
    if (await bridgeUp()) stale.push('bridge: gl-lab0');
    if (cgroupExists(CGROUP_ROOT)) stale.push(`cgroup: ${CGROUP_ROOT}`);
    const known = new Set(processes.map((d) => d.pid));
    for (const s of strayProcesses(p.state)) if (!known.has(s.pid)) stale.push(`process: ${s.pid} ${s.cmd.slice(0, 80)}`);
    if (existsSync(p.state)) stale.push(`state dir: ${p.state}`);
  }
  const allAlive = processes.length > 0 && processes.every((d) => d.alive || ('stopped' in d && d.stopped));
  const realNodes = ns.filter((n) => n.labels['gauntlet.dev/lab'] === 'true');
  const ready = spec !== undefined && realNodes.length === spec.nodes && realNodes.every((n) => n.ready);
  const addons = spec?.addons?.includes('flagger') ? [await flaggerAddonStatus()] : [];
  const addonsHealthy = addons.every((a) => Object.values(a.healthy).every(Boolean));
  const phase = spec === undefined && stale.length === 0 ? 'down' : allAlive && ready && addonsHealthy ? 'up' : 'partial';
  return { provider: 'local', phase, spec, kubeconfig: p.kubeconfig, processes, nodes: ns, addons, stale, timings: TIMINGS };
}

export function formatStatus(s: LabStatus): string {
  const lines = [`lab: ${s.phase} (provider ${s.provider})`];
  if (s.spec) lines.push(`kubeconfig: ${s.kubeconfig} (context gauntlet-lab)`);
  for (const n of s.nodes) {
    const kind = n.annotations['kwok.x-k8s.io/node'] ? 'fake' : (n.labels['karpenter.sh/capacity-type'] ?? '');
    const state = n.state === 'stopped' ? 'Stopped ' : n.ready ? 'Ready   ' : 'NotReady';
    lines.push(`node ${n.name.padEnd(14)} ${state} ${kind.padEnd(9)} zone=${n.labels['topology.kubernetes.io/zone'] ?? '-'} podCIDR=${n.podCidr ?? '-'}`);
  }
  for (const d of s.processes) lines.push(`process ${d.name.padEnd(28)} ${d.alive ? (d.pid > 0 ? `running pid ${d.pid}` : 'running') : d.stopped ? `stopped (lab node-stop; lab node-start${s.provider === 'kind' ? ' --provider kind' : ''} starts it)` : 'STALE (not running)'}`);
  for (const a of s.addons) {
    const parts = Object.entries(a.healthy).map(([k, ok]) => `${k}=${ok ? 'ok' : 'NOT ANSWERING'}`).join(' ');
    lines.push(`addon ${a.name}: ${Object.entries(a.versions).map(([k, v]) => `${k} ${v}`).join(', ')}; ${parts}; router ${a.router}, prometheus ${a.prometheus}`);
  }
  for (const x of s.stale) lines.push(`stale: ${x}`);
  const t = s.timings;
  lines.push(
    `timings: node-monitor-grace-period=${t.nodeMonitorGracePeriodSeconds}s node-monitor-period=${t.nodeMonitorPeriodSeconds}s ` +
      `node-lease=${t.nodeLeaseDurationSeconds}s not-ready-toleration=${t.notReadyTolerationSeconds}s unreachable-toleration=${t.unreachableTolerationSeconds}s`,
  );
  return lines.join('\n');
}
