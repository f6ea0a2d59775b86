/**
 * What the chaos e2e files share: the demo workload behind a fixed ClusterIP with a PDB, a scenario
 * writer with an http-probe and an error-rate gate, the lab's nodes (read from the cluster, so the
 * same cases run on the local lab, lab-node-1..3, and on kind, gauntlet-lab-worker..worker3) and
 * their state, and the run directory readers.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labNodeRunning, labNodeStart } from '../../lab/index.ts';
import { runGauntlet } from '../support/cli.ts';
import { demoService } from '../support/demo.ts';
import { kjson, kk, labKubeconfig } from './lab-kube.ts';

/** The lab's real worker nodes, from the cluster: spot (the lab labels two) and on-demand. */
export interface LabNodes {
  all: string[];
  spot: string[];
  onDemand: string[];
}

const isWorker = (n: any): boolean => !('node-role.kubernetes.io/control-plane' in (n.metadata.labels ?? {})) && n.metadata.annotations?.['kwok.x-k8s.io/node'] !== 'fake';

export async function labNodes(): Promise<LabNodes> {
  const ws = (await kjson(['get', 'nodes'])).items.filter(isWorker);
  const all = ws.map((n: any) => n.metadata.name as string).sort();
  const spot = ws.filter((n: any) => n.metadata.labels?.['karpenter.sh/capacity-type'] === 'spot').map((n: any) => n.metadata.name as string).sort();
  if (all.length < 3 || spot.length < 2) throw new Error(`the lab needs 3 workers, 2 of them spot (has ${all.join(', ')}; spot ${spot.join(', ') || 'none'})`);
  return { all, spot, onDemand: all.filter((n: string) => !spot.includes(n)) };
}

/** Whether a lab node runs (local: its kubelet; kind: its container). */
export const nodeRunning = (node: string): Promise<boolean> => labNodeRunning(node);
export const gauntlet = (args: string[], killOn?: RegExp, delayMs = 0) =>
  runGauntlet(args, { env: { KUBECONFIG: labKubeconfig() }, ...(killOn ? { signalOn: { pattern: killOn, signal: 'SIGKILL', delayMs } } : {}) });

export function workload(ns: string, ip: string, replicas: number, minAvailable: number): string {
  return demoService(ns, replicas, { clusterIP: ip, minAvailable, spread: 'ScheduleAnyway', drain: '2s' });
}

export async function deploy(ns: string, ip: string, replicas: number, minAvailable: number): Promise<void> {
  await kk(['apply', '-f', '-'], workload(ns, ip, replicas, minAvailable));
  await kk(['-n', ns, 'rollout', 'status', 'deployment/demo', '--timeout=120s']);
}

export async function podsOf(ns: string): Promise<Array<{ name: string; node: string; ready: boolean; image: string }>> {
  const l = await kjson(['-n', ns, 'get', 'pods', '-l', 'app=demo']);
  return l.items
    .filter((p: any) => !p.metadata.deletionTimestamp)
    .map((p: any) => ({ name: p.metadata.name, node: p.spec.nodeName, ready: !!p.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'), image: p.spec.containers[0].image }));
}

/** What a fault may change and recover must put back: taints, cordons, annotations, readiness. */
export async function nodeState(): Promise<Record<string, unknown>> {
  const l = await kjson(['get', 'nodes']);
  return Object.fromEntries(
    l.items
      .filter(isWorker)
      .map((n: any) => [n.metadata.name, {
        unschedulable: !!n.spec.unschedulable,
        taints: (n.spec.taints ?? []).map((t: any) => `${t.key}=${t.value ?? ''}:${t.effect}`).sort(),
        ours: Object.keys(n.metadata.annotations ?? {}).filter((a) => a.startsWith('gauntlet.dev/')),
        ready: n.status.conditions.some((c: any) => c.type === 'Ready' && c.status === 'True'),
      }]),
  );
}

export function scenario(dir: string, name: string, ns: string, ip: string, duration: string, faults: string, gates = '', load = ''): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}
target: {context: gauntlet-lab, namespace: ${ns}, url: "http://${ip}/"}
duration: ${duration}
${load}checks:
  - {kind: http-probe, name: probe, interval: 200ms, timeout: 2s, concurrency: 8}
faults:
${faults}
gates:
  - {name: served, metric: error_rate, step: probe, max: 5%}
${gates}`);
  return file;
}

export const runDirOf = (dir: string) => join(dir, readdirSync(dir).find((d) => existsSync(join(dir, d, 'journal.ndjson')))!);
export const journalOf = (runDir: string): any[] => readFileSync(join(runDir, 'journal.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
export const figures = (events: any[], name: string) => events.filter((e) => e.type === 'figure' && e.name === name);

export async function restoreNodes(): Promise<void> {
  for (const n of (await labNodes()).all) {
    const st = (await kjson(['get', 'node', n]).catch(() => undefined)) as any;
    if (!st?.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')) await labNodeStart({ node: n }).catch(() => {});
  }
}
