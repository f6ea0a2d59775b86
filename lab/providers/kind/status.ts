/** `lab status|env|node-stop|node-start --provider kind`: node loss is stopping the node's container. */
import { existsSync } from 'node:fs';
import { InfraError, UsageError } from '../../../core/errors.ts';
import { sleep } from '../../../core/proc.ts';
import { TIMINGS } from '../../config.ts';
import type { LabStatus, NodeRow, ProcessRow } from '../local/status.ts';
import { daemons } from '../local/sh.ts';
import { KIND, kindNodes, type KindPaths } from './config.ts';
import { clusterContainers, execIn, podman, restoreIpForward } from './engine.ts';
import { kindLeftovers, kubectlKind, readKindSpec, routeServices, wireKindNetworks, writeHosts } from './up.ts';

interface RawNode {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { podCIDR?: string };
  status: { conditions?: { type: string; status: string }[] };
}

export async function kindStatus(p: KindPaths): Promise<LabStatus> {
  const spec = readKindSpec(p);
  const cs = await clusterContainers();
  const world = daemons(p.state);
  const processes: ProcessRow[] = [
    ...cs.map((c) => ({ name: `container ${c.name}`, pid: 0, alive: c.running, ...(c.running ? {} : { stopped: true }) })),
    ...world,
  ].sort((a, b) => a.name.localeCompare(b.name));
  let raw: RawNode[] = [];
  if (cs.some((c) => c.running) && existsSync(p.kubeconfig)) {
    raw = await kubectlKind(p, ['get', 'nodes', '-o', 'json']).then((o) => (JSON.parse(o) as { items: RawNode[] }).items).catch(() => []);
  }
  const nodes: NodeRow[] = raw.map((n) => {
    const running = cs.find((c) => c.name === n.metadata.name)?.running ?? false;
    const ready = running && (n.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);
    return { name: n.metadata.name, ready, labels: n.metadata.labels ?? {}, annotations: n.metadata.annotations ?? {}, ...(n.spec.podCIDR ? { podCidr: n.spec.podCIDR } : {}), state: running ? (ready ? 'ready' : 'not-ready') : 'stopped' };
  });
  for (const c of cs) if (!c.running && !nodes.some((n) => n.name === c.name)) nodes.push({ name: c.name, ready: false, labels: {}, annotations: {}, state: 'stopped' });
  const stale = spec === undefined ? await kindLeftovers() : world.filter((d) => !d.alive).map((d) => `dead process: ${d.name} (pid ${d.pid})`);
  const want = spec ? kindNodes(spec.nodes).map((k) => k.container) : [];
  const up = spec !== undefined && want.every((w) => nodes.some((n) => n.name === w && n.ready)) && world.every((d) => d.alive) && stale.length === 0;
  const phase = spec === undefined && stale.length === 0 ? 'down' : up ? 'up' : 'partial';
  return { provider: 'kind', phase, kubeconfig: p.kubeconfig, processes, nodes, addons: [], stale, timings: TIMINGS, ...(spec ? { spec } : {}) };
}

/** `lab-node-N` (the local lab's names) are accepted for the Nth worker. */
function container(p: KindPaths, name: string): string {
  const spec = readKindSpec(p);
  if (spec === undefined) throw new InfraError('the kind lab is down', { hint: 'start it with `gauntlet lab up --provider kind`' });
  const all = kindNodes(spec.nodes);
  const n = all.find((k) => k.container === name || k.spec?.name === name);
  if (n === undefined) throw new UsageError(`no kind lab node named ${name}`, { hint: `the lab's nodes: ${all.map((k) => k.container).join(', ')}` });
  return n.container;
}

export async function kindNodeStop(p: KindPaths, name: string): Promise<void> {
  const c = container(p, name);
  // Out of the host's route to the Services first: its kube-proxy goes with the container.
  await routeServices(await clusterContainers(), c);
  await podman(['stop', '-t', '2', c]);
}

export async function kindNodeStart(p: KindPaths, name: string, waitMs: number): Promise<{ readyAfterMs?: number }> {
  const c = container(p, name);
  const started = Date.now();
  await podman(['start', c]);
  await restoreIpForward(p.state);
  // A restarted container has a fresh /etc/hosts and network namespace: names, sysctls, routes again.
  await writeHosts(await clusterContainers());
  await wireKindNetworks(p);
  if (waitMs <= 0) return {};
  while (Date.now() - started < waitMs) {
    const o = await kubectlKind(p, ['get', 'node', c, '-o', 'json']).catch(() => '');
    if (o && (JSON.parse(o) as RawNode).status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')) return { readyAfterMs: Date.now() - started };
    await sleep(1000);
  }
  throw new InfraError(`${c} started but is not Ready after ${Math.round(waitMs / 1000)} s`, { hint: `podman exec ${c} journalctl -u kubelet` });
}

export { KIND };

/** Whether the node's container runs (a stopped one is a lost node). */
export async function kindNodeRunning(name: string): Promise<boolean> {
  return (await clusterContainers()).some((c) => c.name === name && c.running);
}

/**
 * Kill one container's main process, as the runtime would on an OOM kill: found in the node's runc
 * state (pid and start time, so a reused pid is never signalled) and signalled from the node
 * container's PID namespace, the parent of the pod's, where SIGKILL cannot be ignored. The pid is
 * the node namespace's. 'gone' when the container no longer runs.
 */
export async function kindContainerKill(node: string, containerId: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<{ pid: number } | 'gone'> {
  const id = containerId.replace(/^containerd:\/\//, '');
  if (!/^[0-9a-f]{64}$/.test(id)) throw new UsageError(`not a containerd container id: ${containerId}`);
  const sig = signal.replace(/^SIG/, '');
  if (!/^[A-Z0-9]+$/.test(sig)) throw new UsageError(`not a signal: ${signal}`);
  let state: { init_process_pid?: number; init_process_start?: number | string };
  try {
    state = JSON.parse(await execIn(node, `cat /run/containerd/runc/k8s.io/${id}/state.json`));
  } catch {
    return 'gone';
  }
  const pid = Number(state.init_process_pid);
  const start = Number(state.init_process_start);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isFinite(start)) return 'gone';
  // Field 22 of /proc/PID/stat (start time), counted after the last ')' (comm may hold spaces).
  const script = `s=$(cat /proc/${pid}/stat 2>/dev/null) || exit 3; s=\${s##*) }; set -- $s; [ "\${20}" = "${start}" ] || exit 3; kill -s ${sig} ${pid} || exit 3`;
  try {
    await execIn(node, script);
  } catch {
    return 'gone';
  }
  return { pid };
}
