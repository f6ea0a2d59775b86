/**
 * The lab is a real cluster: workloads spread over real nodes, Services and DNS work, a
 * NetworkPolicy really drops packets, node loss reschedules pods within the shortened timings,
 * eviction honours a PodDisruptionBudget, and `lab down` leaves nothing behind.
 * Assumes `gauntlet lab up` ran first (CI does it); fails, never skips, if it did not.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGES, NET, TIMINGS, WORLD_HOSTS, WORLD_PORTS, labDown, labNodeStart, labNodeStop, labPaths, labStatus, labUp } from '../../lab/index.ts';
import { demoService } from '../support/demo.ts';
import { eventually, k, kjson, kk, probe, requireLab } from './lab-kube.ts';

const ns = `e2e-lab-${Date.now().toString(36)}`;
const allowed = WORLD_HOSTS.find((h) => h.approved)!;
const denied = WORLD_HOSTS.find((h) => !h.approved)!;

const demo = `${demoService(ns, 3, { namespace: false, spread: 'DoNotSchedule' })}---
apiVersion: v1
kind: Pod
metadata: {name: probe, namespace: ${ns}, labels: {app: probe}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: probe
    image: ${IMAGES.probe}
    imagePullPolicy: Never
    command: [/bin/sleep, "3600"]
`;

interface PodList {
  items: { metadata: { name: string; deletionTimestamp?: string }; spec: { nodeName?: string }; status: { conditions?: { type: string; status: string }[] } }[];
}
const ready = (p: PodList['items'][number]): boolean =>
  !p.metadata.deletionTimestamp && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
const demoPods = async (): Promise<PodList['items']> => (await kjson<PodList>(['-n', ns, 'get', 'pods', '-l', 'app=demo'])).items;

beforeAll(async () => {
  await requireLab();
  await kk(['create', 'namespace', ns]);
  await kk(['apply', '-f', '-'], demo);
  await kk(['-n', ns, 'rollout', 'status', 'deployment/demo', '--timeout=180s']);
  await kk(['-n', ns, 'wait', '--for=condition=Ready', 'pod/probe', '--timeout=120s']);
});

afterAll(async () => {
  await k(['delete', 'namespace', ns, '--wait=false']);
});

describe('lab: a real multi-node cluster', () => {
  it('has 3 Ready nodes: 2 spot, 1 on-demand, each in a zone', async () => {
    const nodes = (await kjson<{ items: { metadata: { labels: Record<string, string> } }[] }>(['get', 'nodes', '-l', 'gauntlet.dev/lab=true'])).items;
    expect(nodes).toHaveLength(3);
    const types = nodes.map((n) => n.metadata.labels['karpenter.sh/capacity-type']).sort();
    expect(types).toEqual(['on-demand', 'spot', 'spot']);
    expect(nodes.filter((n) => n.metadata.labels['eks.amazonaws.com/capacityType'] === 'SPOT')).toHaveLength(2);
    for (const n of nodes) expect(n.metadata.labels['topology.kubernetes.io/zone']).toMatch(/^lab-/);
  });

  it('spreads the demo Deployment over all three nodes', async () => {
    const nodes = new Set((await demoPods()).filter(ready).map((p) => p.spec.nodeName));
    expect(nodes.size).toBe(3);
  });

  it('resolves DNS in pods and reaches the demo through its Service from a pod', async () => {
    const dns = await probe(ns, 'probe', 'dns', `demo.${ns}.svc.${NET.clusterDomain}`);
    expect(dns.stdout).toMatch(/^OK dns .*10\.79\./);
    // Endpoints reach each node's kube-proxy asynchronously after the rollout: allow 30 s, as a
    // client would see it, then judge the last answer.
    let http = await probe(ns, 'probe', 'http', `http://demo.${ns}/`);
    for (let i = 0; i < 30 && !/status=200/.test(http.stdout); i++) {
      await new Promise((r) => setTimeout(r, 1000));
      http = await probe(ns, 'probe', 'http', `http://demo.${ns}/`);
    }
    expect(http.stdout).toMatch(/status=200 version=v1/);
  });

  it('reaches the demo through its Service from the host', async () => {
    const svc = await kjson<{ spec: { clusterIP: string } }>(['-n', ns, 'get', 'service', 'demo']);
    const res = await fetch(`http://${svc.spec.clusterIP}/`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-version')).toBe('v1');
  });

  it('a default-deny egress policy drops packets to an unapproved host; the approved one still connects', async () => {
    const url = (h: typeof allowed): string => `http://${h.ip}:${WORLD_PORTS.http}/`;
    expect((await probe(ns, 'probe', 'http', url(denied))).ok).toBe(true);
    await kk(['apply', '-f', '-'], `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-allowlist, namespace: ${ns}}
spec:
  podSelector: {matchLabels: {app: probe}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: ${allowed.ip}/32}}]
    ports: [{protocol: TCP, port: ${WORLD_PORTS.http}}, {protocol: TCP, port: ${WORLD_PORTS.tcp}}, {protocol: UDP, port: ${WORLD_PORTS.udp}}]
`);
    await eventually('policy enforced', async () => !(await probe(ns, 'probe', 'http', url(denied))).ok, 20_000);
    const blocked = await probe(ns, 'probe', 'tcp', `${denied.ip}:${WORLD_PORTS.tcp}`);
    expect(blocked.ok).toBe(false);
    expect(blocked.stdout).toMatch(/FAIL/);
    expect((await probe(ns, 'probe', 'udp', `${denied.ip}:${WORLD_PORTS.udp}`)).ok).toBe(false);
    expect((await probe(ns, 'probe', 'http', url(allowed))).stdout).toMatch(/status=200 version=world-allowed/);
    expect((await probe(ns, 'probe', 'tcp', `${allowed.ip}:${WORLD_PORTS.tcp}`)).ok).toBe(true);
    expect((await probe(ns, 'probe', 'udp', `${allowed.ip}:${WORLD_PORTS.udp}`)).ok).toBe(true);
    await kk(['-n', ns, 'delete', 'networkpolicy', 'egress-allowlist']);
    await eventually('policy removed', async () => (await probe(ns, 'probe', 'http', url(denied))).ok, 20_000);
  });

  it('replaces a deleted pod with a Ready one', async () => {
    const [victim] = (await demoPods()).filter(ready);
    await kk(['-n', ns, 'delete', 'pod', victim!.metadata.name, '--wait=false']);
    await eventually('3 Ready demo pods again', async () => {
      const pods = (await demoPods()).filter(ready);
      return pods.length === 3 && !pods.some((p) => p.metadata.name === victim!.metadata.name);
    }, 90_000);
  });

  it('eviction honours a PodDisruptionBudget (429), then succeeds once allowed', async () => {
    await kk(['apply', '-f', '-'], `apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: demo, namespace: ${ns}}
spec: {minAvailable: 3, selector: {matchLabels: {app: demo}}}
`);
    await eventually('PDB observed', async () => {
      const pdb = await kjson<{ status?: { observedGeneration?: number; currentHealthy?: number } }>(['-n', ns, 'get', 'pdb', 'demo']);
      return pdb.status?.currentHealthy === 3;
    }, 30_000);
    const [pod] = (await demoPods()).filter(ready);
    const evict = (): Promise<{ ok: boolean; stderr: string }> =>
      k(['create', '--raw', `/api/v1/namespaces/${ns}/pods/${pod!.metadata.name}/eviction`, '-f', '-'],
        JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod!.metadata.name, namespace: ns } }));
    const refused = await evict();
    expect(refused.ok).toBe(false);
    expect(refused.stderr).toMatch(/429|Too Many Requests|disruption budget/i);
    await kk(['-n', ns, 'patch', 'pdb', 'demo', '--type=merge', '-p', '{"spec":{"minAvailable":2}}']);
    await eventually('eviction allowed', async () => (await evict()).ok, 30_000);
    await eventually('3 Ready demo pods after eviction', async () => (await demoPods()).filter(ready).length === 3, 90_000);
    await kk(['-n', ns, 'delete', 'pdb', 'demo']);
  });

  // Rescheduling off a lost node, timed, is chaos.test.ts's node-loss case (rescheduledSeconds).
  it('a stopped node shows as stopped at once, turns NotReady within the shortened timings, and comes back Ready', async () => {
    const probeNode = (await kjson<{ spec: { nodeName: string } }>(['-n', ns, 'get', 'pod', 'probe'])).spec.nodeName;
    const victimNode = (await demoPods()).map((p) => p.spec.nodeName!).find((n) => n !== probeNode)!;
    await labNodeStop({ provider: 'local', node: victimNode });
    try {
      // `lab status` says so at once (the API server still reports Ready until its grace period).
      const st = await labStatus({ provider: 'local' });
      expect(st.nodes.find((n) => n.name === victimNode)).toMatchObject({ state: 'stopped', ready: false });
      expect(st.processes.filter((x) => x.stopped).map((x) => x.name)).toEqual([`${victimNode}-containerd`, `${victimNode}-kubelet`]);
      const budget = (TIMINGS.nodeMonitorGracePeriodSeconds + 20) * 1000;
      await eventually(`${victimNode} NotReady`, async () => {
        const n = await kjson<{ status: { conditions: { type: string; status: string }[] } }>(['get', 'node', victimNode]);
        return n.status.conditions.some((c) => c.type === 'Ready' && c.status !== 'True');
      }, budget);
    } finally {
      // --wait (the CLI's default): returns once the API server reports the node Ready.
      const r = await labNodeStart({ provider: 'local', node: victimNode, waitMs: 120_000 });
      expect(r.readyAfterMs).toBeGreaterThan(0);
    }
    await eventually(`${victimNode} Ready again`, async () => {
      const n = await kjson<{ status: { conditions: { type: string; status: string }[] } }>(['get', 'node', victimNode]);
      return n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True');
    }, 90_000);
  });
});

describe('lab down', () => {
  it('leaves no process, namespace, link, cgroup, mount or file behind, and comes back up', async () => {
    const p = labPaths();
    await k(['delete', 'namespace', ns, '--wait=false']);
    await labDown({ provider: 'local' });
    const netns = existsSync('/run/netns') ? readdirSync('/run/netns').filter((n) => n.startsWith('gl-')) : [];
    expect(netns).toEqual([]);
    expect(existsSync(`/sys/class/net/${NET.bridge}`)).toBe(false);
    expect(existsSync('/sys/fs/cgroup/memory/gauntlet-lab')).toBe(false);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(p.state);
    expect(existsSync(p.state)).toBe(false);
    const procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(p.state);
      } catch {
        return false;
      }
    });
    expect(procs).toEqual([]);
    const s = await labStatus({ provider: 'local' });
    expect(s.phase).toBe('down');
    // Later e2e files and CI's own `lab down` expect a lab: bring it back.
    await labUp({ provider: 'local', nodes: 3 });
    expect((await labStatus({ provider: 'local' })).phase).toBe('up');
  });
});
