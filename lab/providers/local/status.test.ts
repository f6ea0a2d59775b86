import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode, UsageError } from '../../../core/errors.ts';
import type { LabPaths } from '../../config.ts';
import { labEnv } from '../../commands.ts';
import type { NodeInfo } from './kubectl.ts';
import { stopNode } from './node-control.ts';
import { formatStatus, nodeRows, type LabStatus } from './status.ts';

const lab = ['lab-node-1', 'lab-node-2', 'lab-node-3'];
const api = (name: string, ready = true): NodeInfo => ({ name, ready, labels: { 'gauntlet.dev/lab': 'true' }, annotations: {} });
const daemon = (name: string, alive = true) => ({ name, pid: alive ? 100 : 0, alive });
const nodeDaemons = (n: string) => ['kubelet', 'containerd', 'kube-proxy', 'netpol'].map((d) => daemon(`${n}-${d}`));

function tmpPaths(nodes?: number): LabPaths {
  const state = mkdtempSync(join(tmpdir(), 'gauntlet-lab-status-'));
  mkdirSync(state, { recursive: true });
  if (nodes !== undefined) writeFileSync(join(state, 'lab.json'), JSON.stringify({ provider: 'local', nodes, fakeNodes: 0, createdAt: '' }));
  return { state, cache: state, bin: state, images: state, kubeconfig: join(state, 'kubeconfig') };
}

describe('lab status right after node-stop', () => {
  // node-stop kills lab-node-2's kubelet and containerd and removes their pidfiles; the API server
  // still reports the node Ready until its grace period ends.
  const running = [daemon('kube-apiserver'), ...nodeDaemons('lab-node-1'), ...nodeDaemons('lab-node-2').filter((d) => !/kubelet|containerd/.test(d.name)), ...nodeDaemons('lab-node-3')];
  const rows = nodeRows(lab, running, lab.map((n) => api(n)));

  it('shows the stopped node as stopped, not Ready', () => {
    expect(rows.nodes.find((n) => n.name === 'lab-node-2')).toMatchObject({ state: 'stopped', ready: false });
    expect(rows.nodes.filter((n) => n.state === 'ready').map((n) => n.name)).toEqual(['lab-node-1', 'lab-node-3']);
  });

  it('keeps its stopped processes in the list, marked stopped', () => {
    expect(rows.processes.filter((p) => p.stopped).map((p) => p.name)).toEqual(['lab-node-2-containerd', 'lab-node-2-kubelet']);
    const s: LabStatus = { provider: 'local', phase: 'partial', kubeconfig: 'k', processes: rows.processes, nodes: rows.nodes, addons: [], stale: [], timings: { nodeMonitorGracePeriodSeconds: 1, nodeMonitorPeriodSeconds: 1, nodeLeaseDurationSeconds: 1, notReadyTolerationSeconds: 1, unreachableTolerationSeconds: 1 } as never };
    const text = formatStatus(s);
    expect(text).toMatch(/node lab-node-2\s+Stopped/);
    expect(text).toMatch(/process lab-node-2-kubelet\s+stopped \(lab node-stop/);
  });

  it('shows each add-on with its versions, which parts answer and where the router is', () => {
    const s: LabStatus = {
      provider: 'local', phase: 'partial', kubeconfig: 'k', processes: [], nodes: [], stale: [], timings: { nodeMonitorGracePeriodSeconds: 1, nodeMonitorPeriodSeconds: 1, nodeLeaseDurationSeconds: 1, notReadyTolerationSeconds: 1, unreachableTolerationSeconds: 1 } as never,
      addons: [{ name: 'flagger', versions: { flagger: 'v1.44.0', traefik: 'v3.6.12' }, router: 'http://10.77.0.5:80', prometheus: 'http://10.77.0.5:9090', healthy: { traefik: true, prometheus: false, flagger: true } }],
    };
    expect(formatStatus(s)).toContain('addon flagger: flagger v1.44.0, traefik v3.6.12; traefik=ok prometheus=NOT ANSWERING flagger=ok; router http://10.77.0.5:80');
  });

  it('a node whose kubelet runs keeps the API server\'s word', () => {
    const r = nodeRows(lab, [...nodeDaemons('lab-node-1')], [api('lab-node-1', false)]);
    expect(r.nodes.find((n) => n.name === 'lab-node-1')?.state).toBe('not-ready');
  });
});

describe('lab node commands and env on bad input', () => {
  it('an unknown node is a usage error (exit 2) naming the lab\'s nodes', async () => {
    const err = await stopNode('lab-node-9', tmpPaths(3)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.Usage);
    expect((err as UsageError).hint).toMatch(/lab-node-1, lab-node-2, lab-node-3/);
  });

  it('lab env with the lab down says so and exports nothing', async () => {
    const r = await labEnv({ paths: tmpPaths() });
    expect(r).toMatchObject({ up: false, shell: '' });
  });
});

describe('lab status -o json', () => {
  it('is valid against cli/schema/lab-status.schema.json, down and with a stopped node', async () => {
    const { readFileSync } = await import('node:fs');
    const { validateSchema } = await import('../../../reports/schema/validate.ts');
    const schema = JSON.parse(readFileSync('cli/schema/lab-status.schema.json', 'utf8')) as Record<string, unknown>;
    const { localStatus } = await import('./status.ts');
    // No lab at these paths (whatever else this machine runs shows up as stale, which is fine here).
    const down = await localStatus({ paths: tmpPaths() });
    expect(down.spec).toBeUndefined();
    expect(validateSchema(JSON.parse(JSON.stringify({ schema: 'gauntlet/lab-status/v1', ...down })), schema)).toEqual([]);
    const rows = nodeRows(lab, [...nodeDaemons('lab-node-1')], lab.map((n) => api(n)));
    const partial = { ...down, phase: 'partial', spec: { provider: 'local', nodes: 3, fakeNodes: 0, createdAt: 'x' }, ...rows };
    expect(validateSchema({ schema: 'gauntlet/lab-status/v1', ...partial }, schema)).toEqual([]);
  });
});
